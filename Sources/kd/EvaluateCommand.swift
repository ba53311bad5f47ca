import ArgumentParser
import Distill

/// `kd evaluate`: one model on a test set.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Accuracy, loss, per-class accuracy and confusion matrix of a checkpoint.")

    @OptionGroup var checkpoint: CheckpointOptions

    @OptionGroup var normalization: NormalizationOptions

    @OptionGroup var data: DataOptions

    @OptionGroup var output: OutputOptions

    /// Loads the checkpoint, then the test set normalised as the model was trained, and prints the report.
    func run() throws {
        try reportingErrors {
            let checkpoint = try self.checkpoint.load()
            let normalization = try InputNormalization.resolve(
                recorded: checkpoint.normalization, given: try self.normalization.normalization(),
                model: checkpoint.model,
                path: self.checkpoint.model, option: NormalizationOptions.option)
            let dataset = try data.testSet(normalization: normalization)
            let report = try Evaluation(model: checkpoint.model, file: self.checkpoint.model, dataset: dataset)
            print(output.json ? report.json : report.text)
        }
    }
}
