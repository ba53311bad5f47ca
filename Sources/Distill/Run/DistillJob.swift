import Foundation
import NN

/// Options a user sets on the command line, on top of the config file.
public struct RunOptions {
    public var epochs: Int?
    public var seed: UInt64?
    public var output: String?
    public var teacherCheckpoint: String?
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

/// `kd train` and `kd distill`: config -> data -> teacher (loaded or trained) -> student by
/// distillation (and the hard-label baseline) -> checkpoints, metrics, comparison.
public final class DistillJob {
    public let config: RunConfig
    let run: RunDirectory
    let progress: Progress
    let splits: DataSplits
    let trainer: Trainer

    /// Loads and validates everything before any training starts.
    /// With `options.resume`, `configPath` is ignored: the run folder's config.yaml is used.
    public init(configPath: String, options: RunOptions) throws {
        if let folder = options.resume {
            config = try RunDirectory.resumableConfig(in: folder)
        } else {
            config = try RunConfig.load(path: configPath).applying(
                epochs: options.epochs, seed: options.seed, output: options.output,
                teacherCheckpoint: options.teacherCheckpoint)
        }
        progress = Progress(quiet: options.quiet)
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

    /// Trains the config's teacher with hard labels; returns its checkpoint path.
    @discardableResult
    public func trainTeacher() throws -> Checkpoint {
        let role = try config.requireTeacher(for: "training a teacher")
        let spec = role.model.spec
        progress.message("teacher: \(spec.name), training with hard labels for \(role.training.epochs) epochs")
        var rng = SplitMix64(seed: config.seed)
        let model = try ModelBuilder.build(spec, rng: &rng)
        try checkClasses(model, name: spec.name)
        let checkpoint = Checkpoint(model: model, spec: spec, normalization: config.data.normalize, metadata: ["kd.role": "teacher"])
        try trainer.train(model, phase: "teacher", config: role.training,
                          objective: HardLabelObjective(labelSmoothing: role.training.labelSmoothing),
                          seed: rng.next()) { _ in try checkpoint.save(to: self.run.file("teacher.safetensors")) }
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
            let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: path), spec: nil)
            try checkClasses(checkpoint.model, name: path)
            progress.message("teacher: loaded \(path)")
            return checkpoint
        }
        progress.message("teacher checkpoint \(role.checkpoint ?? "(none given)") not found: training the teacher first")
        return try trainTeacher()
    }

    /// The whole distillation job; returns the comparison of teacher, student and baseline.
    @discardableResult
    public func distill() throws -> Comparison {
        let student = try config.requireStudent(for: "kd distill")
        let teacher = try teacher()
        let distillation = config.distillation
        let cache = distillation.cacheTeacherLogits
        progress.message("student: \(student.model.spec.name), T=\(distillation.temperature), alpha=\(distillation.alpha) (soft-term weight), divergence \(distillation.divergence.rawValue), teacher outputs \(cache ? "cached once" : "computed every step")")
        let targets = cache
            ? SoftTargets.cached(teachers: [teacher.model], dataset: splits.train, temperature: distillation.temperature)
            : SoftTargets.live(teachers: [teacher.model], temperature: distillation.temperature)
        let objective = DistillationObjective(
            targets: targets, temperature: distillation.temperature, alpha: distillation.alpha,
            divergence: distillation.divergence, labelSmoothing: student.training.labelSmoothing)
        let distilled = try trainStudent(student, phase: "student", objective: objective)
        var models = [("teacher", teacher.model), ("student", distilled.model)]
        if distillation.baseline {
            let baseline = try trainStudent(
                student, phase: "baseline", objective: HardLabelObjective(labelSmoothing: student.training.labelSmoothing))
            models.append(("baseline", baseline.model))
        }
        let comparison = try Comparison(models: models, dataset: evaluationSet)
        try run.write(comparison.json + "\n", to: "summary.json")
        progress.message("\n" + comparison.table)
        progress.message("run folder: \(run.url.path)")
        return comparison
    }

    /// A student-architecture model trained with `objective`; the same seed for every phase so
    /// student and baseline start from the same weights and see the same data order.
    private func trainStudent(_ role: RoleConfig, phase: String, objective: Objective) throws -> Checkpoint {
        let spec = role.model.spec
        var rng = SplitMix64(seed: config.seed &+ 1)
        let model = try ModelBuilder.build(spec, rng: &rng)
        try checkClasses(model, name: spec.name)
        let checkpoint = Checkpoint(model: model, spec: spec, normalization: config.data.normalize, metadata: ["kd.role": phase])
        try trainer.train(model, phase: phase, config: role.training, objective: objective,
                          seed: rng.next()) { _ in try checkpoint.save(to: self.run.file("\(phase).safetensors")) }
        return checkpoint
    }

    private func checkClasses(_ model: Sequential, name: String) throws {
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
