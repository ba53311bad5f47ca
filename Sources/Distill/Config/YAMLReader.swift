import Foundation
import Yams

/// Strict typed reading of a YAML document composed by Yams: every value knows its file, dotted
/// key path ("teacher.training.epochs", "layers[3].conv2d.kernel") and line, so every error
/// names all three. Mappings remember which keys were read; `finish()` rejects the rest.
struct YAMLValue {
    let node: Node
    let file: String
    /// Dotted key path of this value.
    let path: String
    /// Line of the key this value belongs to (better than the value's own mark for sections).
    let keyLine: Int

    var line: Int { node.mark?.line ?? keyLine }

    /// Parses `text` (the contents of `file`) into its root value.
    static func document(_ text: String, file: String) throws -> YAMLValue {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error, file: file, text: text)
        }
        guard let root else { throw ConfigError(file: file, line: 0, key: "", message: "empty YAML document") }
        return YAMLValue(node: root, file: file, path: "", keyLine: 1)
    }

    static func syntaxError(_ error: YamlError, file: String, text: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let ctx = context.map { "\($0.text), " } ?? ""
            return ConfigError(
                file: file, line: mark.line, key: "",
                message: "YAML syntax error: \(ctx)\(problem) (column \(mark.column))")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams marks the mapping; point at the second occurrence of the key instead.
            let key = duplicates.sorted().first ?? ""
            let line = secondKeyLine(key, in: text, from: context.mark.line) ?? context.mark.line
            return ConfigError(
                file: file, line: line, key: key,
                message: "duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))")
        default:
            return ConfigError(file: file, line: 0, key: "", message: "YAML error: \(error)")
        }
    }

    /// The line of the second `key:` at or after line `start` (1-based), if any.
    static func secondKeyLine(_ key: String, in text: String, from start: Int) -> Int? {
        var seen = 0
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where i + 1 >= start
        {
            var line = raw.drop(while: { $0 == " " || $0 == "-" || $0 == "{" })
            if line.hasPrefix("\"") || line.hasPrefix("'") { line = line.dropFirst() }
            guard line.hasPrefix(key) else { continue }
            let rest = line.dropFirst(key.count).drop(while: { $0 == " " || $0 == "\"" || $0 == "'" })
            if rest.hasPrefix(":") {
                seen += 1
                if seen == 2 { return i + 1 }
            }
        }
        return nil
    }

    func error(_ message: String) -> ConfigError {
        ConfigError(file: file, line: line, key: path, message: message)
    }

    /// The dotted path of child `key`.
    func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The text of a scalar, for messages ("got 'high'").
    var shown: String {
        switch node {
        case .scalar(let s): return "'\(s.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var isNull: Bool {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    var scalarString: String? {
        if case .scalar(let s) = node { return s.string }
        return nil
    }

    func string() throws -> String {
        guard let s = scalarString, !isNull else {
            throw error("'\(path)' must be a string, got \(isNull ? "nothing" : shown)")
        }
        return s
    }

    func int(_ requirement: String = "an integer", where valid: (Int) -> Bool = { _ in true }) throws -> Int {
        guard let s = scalarString, let v = Int(s.replacingOccurrences(of: "_", with: "")), valid(v) else {
            throw error("'\(path)' must be \(requirement), got \(shown)")
        }
        return v
    }

    func double(_ requirement: String = "a number", where valid: (Double) -> Bool = { _ in true }) throws -> Double {
        guard let s = scalarString, let v = Self.number(s), valid(v) else {
            throw error("'\(path)' must be \(requirement), got \(shown)")
        }
        return v
    }

    func float(_ requirement: String = "a number", where valid: (Double) -> Bool = { _ in true }) throws -> Float {
        Float(try double(requirement, where: valid))
    }

    static func number(_ s: String) -> Double? {
        let t = s.replacingOccurrences(of: "_", with: "")
        guard let v = Double(t), v.isFinite, !t.lowercased().contains("n") else { return nil }  // no nan/inf
        return v
    }

    func bool() throws -> Bool {
        switch scalarString?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw error("'\(path)' must be true or false, got \(shown)")
        }
    }

    /// One of `allowed` (the message lists them).
    func oneOf(_ allowed: [String]) throws -> String {
        guard let s = scalarString, allowed.contains(s) else {
            throw error("'\(path)' must be one of \(allowed.joined(separator: ", ")), got \(shown)")
        }
        return s
    }

    func sequence() throws -> [YAMLValue] {
        guard case .sequence(let seq) = node else { throw error("'\(path)' must be a list, got \(shown)") }
        return seq.enumerated().map { i, n in
            YAMLValue(node: n, file: file, path: "\(path)[\(i)]", keyLine: n.mark?.line ?? line)
        }
    }

    /// A list of numbers; a single number is taken as a one-element list.
    func doubles(_ requirement: String = "a number", where valid: (Double) -> Bool = { _ in true }) throws -> [Double] {
        if case .scalar = node, !isNull { return [try double(requirement, where: valid)] }
        guard case .sequence = node else { throw error("'\(path)' must be a list of numbers, got \(shown)") }
        return try sequence().map { try $0.double(requirement, where: valid) }
    }

    func ints(_ requirement: String = "an integer", where valid: (Int) -> Bool = { _ in true }) throws -> [Int] {
        guard case .sequence = node else { throw error("'\(path)' must be a list of integers, got \(shown)") }
        return try sequence().map { try $0.int(requirement, where: valid) }
    }

    func mapping() throws -> YAMLMapping {
        if isNull { return try YAMLMapping(self, pairs: []) }  // `key:` with nothing = {}
        guard case .mapping(let m) = node else { throw error("'\(path)' must be a mapping (key: value), got \(shown)") }
        var pairs = [(String, Int, Node)]()
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                throw ConfigError(
                    file: file, line: k.mark?.line ?? line, key: path, message: "'\(path)' has a non-text key")
            }
            pairs.append((ks.string, k.mark?.line ?? line, v))
        }
        return try YAMLMapping(self, pairs: pairs)
    }
}

/// A mapping being read: `value(key)` marks keys as known; `finish()` errors on any other key.
final class YAMLMapping {
    let owner: YAMLValue
    private(set) var entries: [(key: String, keyLine: Int, value: YAMLValue)]
    private var read = Set<String>()

    init(_ owner: YAMLValue, pairs: [(String, Int, Node)]) throws {
        self.owner = owner
        var seen = Set<String>()
        entries = []
        for (k, line, node) in pairs {
            let path = owner.childPath(k)
            guard seen.insert(k).inserted else {
                throw ConfigError(file: owner.file, line: line, key: path, message: "duplicate key '\(path)'")
            }
            entries.append((k, line, YAMLValue(node: node, file: owner.file, path: path, keyLine: line)))
        }
    }

    var keys: [String] { entries.map(\.key) }

    /// The value of `key` (nil when absent or null), marking the key as known.
    func value(_ key: String) -> YAMLValue? {
        read.insert(key)
        guard let e = entries.first(where: { $0.key == key }), !e.value.isNull else { return nil }
        return e.value
    }

    /// True when `key` is present with a non-null value (does not mark it).
    func has(_ key: String) -> Bool {
        entries.contains { $0.key == key && !$0.value.isNull }
    }

    /// The value of a required `key`.
    func required(_ key: String) throws -> YAMLValue {
        guard let v = value(key) else {
            let path = owner.childPath(key)
            throw ConfigError(
                file: owner.file, line: owner.keyLine, key: path, message: "missing required key '\(path)'")
        }
        return v
    }

    /// Marks keys as known without reading them.
    func accept(_ keys: [String]) { read.formUnion(keys) }

    /// Declares the allowed keys and errors on any other one at once (so a misspelt key is
    /// reported as unknown rather than as a missing required key).
    func expect(_ keys: [String]) throws {
        accept(keys)
        try finish()
    }

    /// Errors on the first key never asked for.
    func finish() throws {
        for e in entries where !read.contains(e.key) {
            let known = read.sorted().joined(separator: ", ")
            throw ConfigError(
                file: owner.file, line: e.keyLine, key: e.value.path,
                message: "unknown key '\(e.value.path)'" + (known.isEmpty ? "" : " (known keys: \(known))"))
        }
    }
}
