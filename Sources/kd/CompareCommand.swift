import ArgumentParser
import Distill
import Foundation

/// `kd compare`: teacher vs any number of other models, side by side.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a teacher with students: size, MFLOPs, accuracy, agreement, KL, ECE, latency.")

    @Option(help: "The teacher checkpoint (the reference for agreement and KL).")
    var teacher: String

    @Option(help: "A student checkpoint (repeatable).")
    var student: [String] = []

    @Option(help: "A hard-label baseline checkpoint.")
    var baseline: String?

    @Option(help: "Any other model as NAME=PATH (repeatable), e.g. gen2=runs/ban/generation-2.safetensors.")
    var model: [String] = []

    @Option(help: "Data source (its test split).")
    var data = "fashion-mnist"

    @Option(help: "Folder of the data set's files.")
    var dataDir: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Skip the latency measurement.")
    var noLatency = false

    func run() throws {
        try reportingErrors {
            var named = [("teacher", teacher)]
            named += student.enumerated().map { i, path in (student.count == 1 ? "student" : "student-\(i + 1)", path) }
            if let baseline { named.append(("baseline", baseline)) }
            for entry in model {
                guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                    throw ValidationError("--model takes NAME=PATH, got '\(entry)'")
                }
                named.append((String(entry[..<equals]), String(entry[entry.index(after: equals)...])))
            }
            let checkpoints = try named.map { name, path in (name, try Checkpoint.load(from: URL(fileURLWithPath: path))) }
            let normalization = checkpoints[0].1.normalization
            if let (name, _) = checkpoints.first(where: { $0.1.normalization != normalization }) {
                throw ValidationError("model '\(name)' was trained with another input normalisation than the teacher; compare them separately")
            }
            let dataset = try TestData.load(source: data, dataDirectory: dataDir, normalization: normalization)
            let models = checkpoints.map { ComparedModel(name: $0.0, model: $0.1.model) }
            let comparison = try Comparison(models: models, dataset: dataset, measureLatency: !noLatency)
            print(json ? comparison.json : comparison.table)
        }
    }
}
