import ArgumentParser
import Distill

extension CompareCommand {
    /// One model of the comparison, as the command line names it.
    struct Entry: Equatable {
        /// Its row in the table: teacher, student (student-N with several), baseline, or a --model name.
        let name: String
        /// The checkpoint file.
        let path: String
        /// The model spec YAML given for it (nil: the file's own `kd.spec`).
        var specPath: String?
        /// The options that give it a spec, for the message when it has none.
        var specOption: String
        /// The input normalisation --normalize-for gives it (only for a file that records none).
        var normalization: Normalization? = nil
    }

    /// The models in table order, the teacher first, each with its spec and normalisation. Throws
    /// when a --model, --spec-for or --normalize-for is not NAME=VALUE, when two models share a
    /// name, when --spec-for or --normalize-for names no model or one model twice, when a
    /// normalisation is not MEAN[,MEAN..]/STD[,STD..], or when a role's spec option has no file
    /// of that role.
    func lineup() throws -> [Entry] {
        /// A model of a role with its own spec option (--teacher-spec, ...): that option, then --spec-for.
        func role(_ name: String, _ path: String, specOption: String, spec: String?) -> Entry {
            Entry(name: name, path: path, specPath: spec, specOption: "\(specOption) SPEC or --spec-for \(name)=SPEC")
        }
        var entries = [role("teacher", teacher, specOption: "--teacher-spec", spec: teacherSpec)]
        entries += student.enumerated().map { i, path in
            role(
                student.count == 1 ? "student" : "student-\(i + 1)", path, specOption: "--student-spec",
                spec: studentSpec)
        }
        if let baseline {
            entries.append(role("baseline", baseline, specOption: "--baseline-spec", spec: baselineSpec))
        }
        entries += try model.map { argument in
            let (name, path) = try Self.split(argument, option: "--model", value: "PATH")
            return Entry(name: name, path: path, specPath: nil, specOption: "--spec-for \(name)=SPEC")
        }
        var seen = Set<String>()
        for entry in entries where !seen.insert(entry.name).inserted {
            throw ValidationError("two models are named '\(entry.name)'; give every --model a name of its own")
        }
        if studentSpec != nil, student.isEmpty { throw ValidationError("--student-spec is given but no --student") }
        if baselineSpec != nil, baseline == nil { throw ValidationError("--baseline-spec is given but no --baseline") }
        let specs = try Self.byName(specFor, option: "--spec-for", value: "SPEC", names: entries.map(\.name))
        let normalizations = try Self.byName(
            normalizeFor, option: "--normalize-for", value: "MEAN/STD", names: entries.map(\.name))
        for i in entries.indices {
            let name = entries[i].name
            if let spec = specs[name] { entries[i].specPath = spec }
            entries[i].normalization = try normalizations[name].map {
                try InputNormalization.parse($0, option: "--normalize-for \(name)")
            }
        }
        return entries
    }

    /// The NAME=VALUE arguments of the repeatable `option`, by name; every NAME must be one of
    /// `names`, each at most once.
    static func byName(_ arguments: [String], option: String, value: String, names: [String]) throws -> [String: String]
    {
        var values: [String: String] = [:]
        for argument in arguments {
            let (name, text) = try split(argument, option: option, value: value)
            guard names.contains(name) else {
                throw ValidationError(
                    "\(option) \(argument): no model is named '\(name)' (models: \(names.joined(separator: ", ")))")
            }
            guard values.updateValue(text, forKey: name) == nil else {
                throw ValidationError("\(option) names '\(name)' twice")
            }
        }
        return values
    }

    /// Splits a NAME=VALUE argument of `option`; both parts must be non-empty.
    static func split(_ argument: String, option: String, value: String) throws -> (name: String, value: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
            argument.index(after: equals) != argument.endIndex
        else {
            throw ValidationError("\(option) takes NAME=\(value), got '\(argument)'")
        }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
}
