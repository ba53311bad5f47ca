import ArgumentParser
import Distill
import Foundation
import KDBench

/// `kd bench`: the speed of this machine's sgemm and of kd's training and inference.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Benchmark sgemm, training (hard labels, KD cached, KD live) and inference; print a table, optionally write JSON."
    )

    @Flag(help: "A short run (about a minute): fewer steps and shorter timings.")
    var quick = false

    @Option(help: "Time this many full epochs per training case (median) instead of a fixed number of steps.")
    var epochs: Int?

    @Option(help: "Training steps per case when --epochs is not given.")
    var steps: Int?

    @Option(help: "Batch size.")
    var batchSize = 128

    @Flag(help: "Print milliseconds per step for every layer's forward and backward, the loss and the optimizer.")
    var profile = false

    @Flag(
        help:
            "Augment every training batch as data.augment {crop: {padding: 2}, flip: {p: 0.5}, mixup: {alpha: 0.8}, cutmix: {alpha: 1}} does (timm's mixup/cutmix defaults; --profile shows its cost)."
    )
    var augment = false

    @Flag(help: "With --augment: crop and flip only, no mixup or cutmix (what torch_kd.py --augment does).")
    var noMix = false

    @Option(
        help:
            "Only these models' training cases (comma-separated: mlp-teacher, mlp-student, cnn-torchref, cnn-student, resnet8-teacher, resnet8-student)."
    )
    var only: String?

    @Option(help: "Folder of the model specs.")
    var models = "Models"

    @OptionGroup var dataDirectory: DataDirectoryOption

    @Flag(help: "Use synthetic data of Fashion-MNIST's shape even if the real files are there.")
    var synthetic = false

    @Option(help: "Write the results as JSON to this file.")
    var json: String?

    /// What `--augment` applies: crop 2, flip 0.5, and timm's default mixup (alpha 0.8) and cutmix
    /// (alpha 1), each sample picking one of the two.
    static let benchAugment = AugmentConfig(
        crop: .init(padding: 2), flip: 0.5, mixup: .init(alpha: 0.8), cutmix: .init(alpha: 1))

    /// What `--augment --no-mix` applies: crop 2 and flip 0.5.
    static let cropFlipAugment = AugmentConfig(crop: .init(padding: 2), flip: 0.5)

    func validate() throws {
        if noMix && !augment { throw ValidationError("--no-mix goes with --augment") }
    }

    /// Runs the benchmark, printing as it goes, and writes the JSON when asked.
    func run() throws {
        try reportingErrors {
            var options = Benchmark.Options()
            options.quick = quick
            options.epochs = epochs
            options.profile = profile
            if augment { options.augment = (noMix ? Self.cropFlipAugment : Self.benchAugment).kernel }
            if let steps { options.steps = steps }
            options.batchSize = batchSize
            options.only = only.map { Set($0.split(separator: ",").map(String.init)) }
            options.modelsDirectory = models
            options.dataDirectory = dataDirectory.path
            options.synthetic = synthetic
            let result = try Benchmark(options: options) {
                print($0)
                fflush(stdout)
            }.run()
            if let json {
                let data = try JSONSerialization.data(withJSONObject: result, options: [.prettyPrinted, .sortedKeys])
                try data.write(to: URL(fileURLWithPath: json), options: .atomic)
            }
        }
    }
}
