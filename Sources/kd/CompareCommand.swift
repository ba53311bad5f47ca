import ArgumentParser
import Distill

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

    @Option(help: "Model spec (YAML) of a --teacher without kd metadata, e.g. a PyTorch state_dict.")
    var teacherSpec: String?

    @Option(help: "Model spec (YAML) of every --student without kd metadata.")
    var studentSpec: String?

    @Option(help: "Model spec (YAML) of a --baseline without kd metadata.")
    var baselineSpec: String?

    @Option(
        help: ArgumentHelp(
            "Model spec (YAML) of the model named NAME (teacher, student, student-N, baseline or a --model name), repeatable; wins over --teacher-spec, --student-spec and --baseline-spec.",
            valueName: "name=spec"))
    var specFor: [String] = []

    @Option(
        help: ArgumentHelp(
            "Input normalisation of the model named NAME when its file records none (a PyTorch state_dict trained with transforms.Normalize), one value per channel, e.g. t2=0.286/0.353; repeatable.",
            valueName: "name=mean[,mean..]/std[,std..]"))
    var normalizeFor: [String] = []

    @OptionGroup var data: DataOptions

    @OptionGroup var output: OutputOptions

    @Flag(help: "Skip the latency measurement.")
    var noLatency = false

    /// The model list must be well-formed (see `lineup()`).
    func validate() throws {
        _ = try lineup()
    }

    /// Loads every model, then the test set once, un-normalised, and prints the comparison of
    /// the models, each on the test set normalised as it was trained.
    func run() throws {
        try reportingErrors {
            let dataset = try data.testSet()
            let models = try lineup().map { entry in
                let checkpoint = try CheckpointFile.load(
                    path: entry.path, specPath: entry.specPath, specOption: entry.specOption)
                let normalization = try InputNormalization.resolve(
                    recorded: checkpoint.normalization, given: entry.normalization, model: checkpoint.model,
                    path: entry.path,
                    option: "--normalize-for \(entry.name)")
                let input = try InputRenormalization(
                    from: nil, to: normalization, channels: dataset.channels, owner: entry.path)
                return ComparedModel(name: entry.name, model: checkpoint.model, input: input, file: entry.path)
            }
            let comparison = try Comparison(models: models, dataset: dataset, measureLatency: !noLatency)
            print(output.json ? comparison.json : comparison.table)
        }
    }
}
