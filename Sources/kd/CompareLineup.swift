import ArgumentParser

extension CompareCommand {
    /// One model of the comparison, as the command line names it.
    struct Entry: Equatable {
        /// Its row in the table: teacher, student (student-N with several), baseline, or a --model name.
        let name: String
        /// The checkpoint file.
        let path: String
    }

    /// The models in table order, the teacher first. Throws when a --model is not NAME=PATH,
    /// when two models share a name, or when --no-latency leaves nothing to compare.
    func lineup() throws -> [Entry] {
        var entries = [Entry(name: "teacher", path: teacher)]
        entries += student.enumerated().map { i, path in
            Entry(name: student.count == 1 ? "student" : "student-\(i + 1)", path: path)
        }
        if let baseline { entries.append(Entry(name: "baseline", path: baseline)) }
        entries += try model.map { argument in
            let (name, path) = try Self.split(argument, option: "--model", value: "PATH")
            return Entry(name: name, path: path)
        }
        var seen = Set<String>()
        for entry in entries where !seen.insert(entry.name).inserted {
            throw ValidationError("two models are named '\(entry.name)'; give every --model a name of its own")
        }
        if noLatency, entries.count == 1 {
            throw ValidationError("--no-latency with only --teacher leaves nothing to compare; add --student, --baseline or --model (or use kd evaluate)")
        }
        return entries
    }

    /// Splits a NAME=VALUE argument of `option`; both parts must be non-empty.
    static func split(_ argument: String, option: String, value: String) throws -> (name: String, value: String) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
              argument.index(after: equals) != argument.endIndex else {
            throw ValidationError("\(option) takes NAME=\(value), got '\(argument)'")
        }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
}
