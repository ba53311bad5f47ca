import ArgumentParser
import Distill

/// `--normalize-mean` and `--normalize-std`: the input normalisation of a checkpoint that
/// records none, one value per channel.
struct NormalizationOptions: ParsableArguments {
    /// The pair, as messages name it.
    static let option = "--normalize-mean/--normalize-std"

    @Option(
        name: .customLong("normalize-mean"),
        help: ArgumentHelp(
            "Input mean of each channel (repeat per channel) for a checkpoint that records no normalisation, e.g. a PyTorch state_dict trained with transforms.Normalize; with --normalize-std.",
            valueName: "mean"))
    var mean: [Float] = []

    @Option(
        name: .customLong("normalize-std"),
        help: ArgumentHelp(
            "Input std of each channel (repeat per channel), with --normalize-mean.", valueName: "std"))
    var std: [Float] = []

    /// Both lists or neither, one value of each per channel, every std > 0.
    func validate() throws {
        _ = try normalization()
    }

    /// The normalisation given, nil when neither option is.
    func normalization() throws -> Normalization? {
        mean.isEmpty && std.isEmpty ? nil : try InputNormalization.checked(mean: mean, std: std, option: Self.option)
    }
}
