import ArgumentParser
import Distill
import Foundation

/// `kd evaluate`: one model on a test set.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Accuracy, loss, per-class accuracy and confusion matrix of a checkpoint.")

    @Option(help: "Checkpoint (safetensors) to evaluate.")
    var model: String

    @Option(help: "Model spec (YAML) for a checkpoint without kd metadata, e.g. a PyTorch state_dict.")
    var spec: String?

    @Option(help: "Data source: fashion-mnist, idx:DIR, idx:IMAGES,LABELS, csv:FILE[,FILE] (its test split).")
    var data = "fashion-mnist"

    @Option(help: "Folder of the data set's files (default: KD_DATA_DIR, then the Debian package's folder).")
    var dataDir: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        try reportingErrors {
            let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: model), specPath: spec)
            let dataset = try TestData.load(source: data, dataDirectory: dataDir, normalization: checkpoint.normalization)
            let report = try Evaluation(model: checkpoint.model, file: model, dataset: dataset)
            print(json ? report.json : report.text)
        }
    }
}
