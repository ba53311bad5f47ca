import Foundation
import NN
import SafeTensors

/// Options a user sets on the command line, on top of the config file.
public struct RunOptions {
    public var epochs: Int?
    public var seed: UInt64?
    public var output: String?
    public var teacherCheckpoint: String?
    public var temperature: Float?
    public var alpha: Float?
    public var dataDirectory: String?
    public var force = false
    public var quiet = false
    /// Continue the run in this folder (its config.yaml) from its resume files.
    public var resume: String?
    /// Stop as on Ctrl-C at this point (hidden `--stop-after`, for resume tests).
    public var stopAfter: StopPoint?
    /// The subcommand, for the "continue with" hint ("distill" or "train").
    public var command = "distill"

    public init() {}
}

/// `kd train` and `kd distill`: config -> data -> teacher (loaded or trained) -> students by
/// distillation (standard, born-again or online self-distillation) -> checkpoints, metrics,
/// comparison. The modes live in extensions beside this file.
public final class DistillJob {
    public let config: RunConfig
    let run: RunDirectory
    let progress: Progress
    let splits: DataSplits
    let trainer: Trainer
    /// Whether an existing teacher checkpoint may be replaced (`--force`).
    let force: Bool

    /// Loads and validates everything before any training starts.
    /// With `options.resume`, `configPath` is ignored: the run folder's config.yaml is used.
    public init(configPath: String, options: RunOptions) throws {
        if let folder = options.resume {
            config = try RunDirectory.resumableConfig(in: folder)
        } else {
            config = try RunConfig.load(path: configPath).applying(
                epochs: options.epochs, seed: options.seed, output: options.output,
                teacherCheckpoint: options.teacherCheckpoint, temperature: options.temperature, alpha: options.alpha)
        }
        progress = Progress(quiet: options.quiet)
        force = options.force
        splits = try DataSplits.load(
            config.data, seed: config.seed, dataDir: options.dataDirectory ?? DataSource.environmentDataDir())
        let resuming = options.resume != nil
        if resuming {
            run = try RunDirectory(existing: config.output)
        } else {
            run = try RunDirectory(path: config.output, force: options.force)
            try run.removeResumeFiles()
            try run.write(config.resolvedYAML(), to: "config.yaml")
        }
        trainer = Trainer(splits: splits, progress: progress,
                          log: MetricsLog(url: run.file("metrics.jsonl"), resuming: resuming))
        trainer.resumeFolder = run.url
        trainer.resuming = resuming
        trainer.stopAfter = options.stopAfter
        trainer.resumeHint = "kd \(options.command) --resume \(run.url.path)"
        StopRequest.installSignalHandler()
        progress.message("data: \(splits.summary)")
    }

    /// The whole distillation job in the config's mode; returns the final comparison.
    @discardableResult
    public func distill() throws -> Comparison {
        switch config.distillation.mode {
        case .standard: return try standardDistillation()
        case .bornAgain: return try bornAgain()
        case .selfDistillation: return try onlineSelfDistillation()
        }
    }

    /// Trains the config's teacher with hard labels; saves it in the run folder and at the
    /// config's teacher checkpoint path.
    @discardableResult
    public func trainTeacher() throws -> Checkpoint {
        let role = try config.requireTeacher(for: "training a teacher")
        if let path = role.checkpoint, role.checkpointExists, !force, !trainer.resuming {
            throw RunError("\(path): teacher checkpoint exists; pass --force to replace it, or --out/--teacher elsewhere")
        }
        progress.message("teacher: \(role.model.spec.name), training with hard labels for \(role.training.epochs) epochs")
        let checkpoint = try trainModel(
            role.model.spec, training: role.training, phase: "teacher", seed: config.seed,
            objective: HardLabelObjective(labelSmoothing: role.training.labelSmoothing))
        if let path = role.checkpoint {
            try makeFolder(for: path)
            try checkpoint.save(to: URL(fileURLWithPath: path))
            progress.message("teacher saved to \(path)")
        }
        return checkpoint
    }

    /// The teacher from its checkpoint, or trained first when the checkpoint does not exist.
    func teacher() throws -> Checkpoint {
        let role = try config.requireTeacher(for: "kd distill")
        if let path = role.checkpoint, role.checkpointExists {
            // A plain PyTorch state_dict has no embedded spec: the config's teacher.model gives it.
            let checkpoint = try loadTeacher(path, fallbackSpec: role.model.spec)
            progress.message("teacher: loaded \(path)")
            return checkpoint
        }
        progress.message("teacher checkpoint \(role.checkpoint ?? "(none given)") not found: training the teacher first")
        return try trainTeacher()
    }

    /// A teacher checkpoint, checked against the data's input shape and classes. `fallbackSpec`
    /// describes files without an embedded kd spec (a PyTorch `save_file(model.state_dict())`).
    func loadTeacher(_ path: String, fallbackSpec: ModelSpec? = nil) throws -> Checkpoint {
        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: path), fallbackSpec: fallbackSpec)
        try checkFits(checkpoint.model, name: path)
        return checkpoint
    }

    /// A fresh model of `spec` trained with `objective`. The model's init and the data order
    /// come from `seed` alone, so phases given the same seed (student and baseline) start from
    /// the same weights and see the same batches. Saved as `<phase>.safetensors` after every
    /// epoch, and as `<phase>.best.safetensors` whenever validation accuracy beats every earlier
    /// epoch's (never replaced by a worse one).
    func trainModel(_ spec: ModelSpec, training: TrainingConfig, phase: String, seed: UInt64, objective: Objective,
                    metadata: [String: String] = [:]) throws -> Checkpoint {
        var rng = SplitMix64(seed: seed)
        let model = try ModelBuilder.build(spec, rng: &rng)
        try checkFits(model, name: spec.name)
        let checkpoint = Checkpoint(model: model, spec: spec, normalization: config.data.normalize,
                                    metadata: metadata.merging(["kd.role": phase]) { $1 })
        let bestFile = run.file("\(phase).best.safetensors")
        var best = trainer.resuming ? Self.validationAccuracy(of: bestFile) : -Double.infinity
        try trainer.train(model, phase: phase, config: training, objective: objective, seed: rng.next()) { record in
            try checkpoint.save(to: self.run.file("\(phase).safetensors"))
            if let accuracy = record.validationAccuracy, accuracy > best {
                best = accuracy
                try Checkpoint(model: model, spec: spec, normalization: checkpoint.normalization,
                               metadata: checkpoint.metadata.merging(["kd.val_acc": "\(accuracy)", "kd.epoch": "\(record.epoch)"]) { $1 })
                    .save(to: bestFile)
            }
        }
        return checkpoint
    }

    /// The validation accuracy recorded in a best checkpoint, or -infinity when there is none.
    static func validationAccuracy(of bestFile: URL) -> Double {
        guard let file = try? SafeTensorsFile(contentsOf: bestFile), let text = file.metadata["kd.val_acc"],
              let value = Double(text) else { return -.infinity }
        return value
    }

    /// Seed of the student-side phases (student, baseline, generations, self): one apart from
    /// the teacher's, the same for all of them.
    var studentSeed: UInt64 { config.seed &+ 1 }

    /// The split comparisons are made on: the test split, or the validation split for sources
    /// with a single file.
    var evaluationSet: Dataset {
        get throws {
            guard let set = splits.test ?? splits.validation else {
                throw RunError("data '\(config.data.source.text)' has no test split; set data.validation to hold some samples out")
            }
            return set
        }
    }

    /// Compares `models` on the evaluation set, writes summary.json and prints the table.
    func finish(_ models: [(name: String, model: Sequential)], extra: [String: Any] = [:]) throws -> Comparison {
        let comparison = try Comparison(models: models, dataset: evaluationSet)
        var summary = comparison.jsonObject
        summary["mode"] = config.distillation.mode.rawValue
        summary.merge(extra) { $1 }
        try run.write(JSONText.encode(summary, pretty: true) + "\n", to: "summary.json")
        progress.message("\n" + comparison.table)
        progress.message("run folder: \(run.url.path)")
        return comparison
    }

    func checkFits(_ model: Sequential, name: String) throws {
        guard model.inputShape == splits.train.sampleShape else {
            throw RunError("\(name): model takes input \(model.inputShape) but the data set's samples are \(splits.train.sampleShape)")
        }
        guard model.outputShape == [splits.train.classCount] else {
            throw RunError("\(name): model outputs \(model.outputShape) but the data set has \(splits.train.classCount) classes")
        }
    }

    private func makeFolder(for path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RunError("\(folder.path): cannot create folder for the teacher checkpoint")
        }
    }
}
