import Foundation
import NN
import SafeTensors

/// How a job runs, beside its config: the CLI's flags that are not config overrides.
public struct RunOptions: Sendable {
    /// `--data-dir`: the folder for `fashion-mnist`/`mnist` (see `DataSource.files`).
    public var dataDirectory: String?
    /// Reuse an existing run folder and replace an existing teacher checkpoint.
    public var force = false
    public var quiet = false
    /// Stop as on Ctrl-C at this point (hidden `--stop-after`, for resume tests).
    public var stopAfter: StopPoint?
    /// End the process as `kill -9` would at this point (hidden `--crash-at`, for tests).
    public var crashAt: CrashPoint?

    public init(
        dataDirectory: String? = nil, force: Bool = false, quiet: Bool = false, stopAfter: StopPoint? = nil,
        crashAt: CrashPoint? = nil
    ) {
        self.dataDirectory = dataDirectory
        self.force = force
        self.quiet = quiet
        self.stopAfter = stopAfter
        self.crashAt = crashAt
    }
}

/// `kd train` and `kd distill`: config -> data -> teacher (loaded or trained) -> students by
/// distillation (standard, born-again or online self-distillation) -> checkpoints, metrics,
/// comparison. The modes live in extensions beside this file.
///
/// Everything that can be checked is checked before the run folder is created (the data, every
/// model against it, the teacher checkpoints, the folder itself; see `RunInputs`), so a mistake
/// leaves nothing behind that would block the corrected rerun.
public final class DistillJob {
    public let config: RunConfig
    let runFolder: RunDirectory
    let progress: Progress
    let splits: DataSplits
    let trainer: Trainer
    /// Whether an existing teacher checkpoint may be replaced (`--force`).
    let force: Bool
    let resuming: Bool
    /// The checked inputs: teacher checkpoints already loaded, by path.
    let inputs: RunInputs
    /// The ranks running this job (one process unless started by mpirun).
    let collective: Collective

    /// What `run()` does.
    public let task: JobTask

    /// Loads and checks everything `task` needs, then creates (or reopens, when resuming) the
    /// run folder.
    /// Under mpirun every rank checks the inputs before rank 0 alone creates the folder, and
    /// every rank has read the folder before any rank goes on.
    public init(plan: RunPlan, options: RunOptions, task: JobTask, collective: Collective = World.collective) throws {
        config = plan.config
        self.task = task
        self.collective = collective
        resuming = plan.resuming
        progress = Progress(quiet: options.quiet || !collective.isRoot)
        force = options.force
        try DataParallelError.check(config, ranks: collective.size)
        splits = try DataSplits.load(config.data, seed: config.seed, dataDir: options.dataDirectory)
        if !resuming { try RunDirectory.checkUsable(path: config.output, force: options.force) }
        inputs = try RunInputs(config: config, splits: splits, task: task, replacingTeacher: force || resuming)
        collective.barrier()
        if resuming || !collective.isRoot {
            runFolder = RunDirectory(existing: config.output)
        } else {
            runFolder = try RunDirectory(path: config.output, force: options.force)
            try runFolder.removeResumeFiles()
            try runFolder.write(config.resolvedYAML(), to: "config.yaml")
        }
        let runSeed = config.seed
        let augment = config.data.augment.map { (kernel: $0.kernel, runSeed: runSeed) }
        trainer = Trainer(
            splits: splits, progress: progress,
            log: MetricsLog(url: runFolder.file("metrics.jsonl"), resuming: resuming),
            resume: ResumePolicy(
                folder: runFolder.url, resuming: resuming, stopAfter: options.stopAfter,
                crashAt: options.crashAt),
            augment: augment, collective: collective)
        collective.barrier()
        StopRequest.installSignalHandler()
        progress.message("data: \(splits.summary)")
        progress.message(BLASKernels.summary)
    }

    /// Runs the job's task (a trained teacher is evaluated alone into summary.json), then writes report.html, also when the task stops early (Ctrl-C,
    /// a non-finite loss): the report then shows what exists so far. A report that cannot be
    /// written never hides the task's own error.
    public func run() throws {
        do {
            switch task {
            case .trainTeacher:
                // The teacher's own row (per-class accuracy, confusion) in summary.json, for the report.
                try finish([ComparedModel(name: "teacher", model: try trainTeacher().model)])
            case .distill: try distill()
            }
        } catch {
            if collective.isRoot { _ = try? writeReport() }
            throw error
        }
        guard collective.isRoot else { return }
        let path = try writeReport()
        progress.message("report: \(path)")
    }

    /// Renders the run folder's report.html (atomically); returns its path.
    func writeReport() throws -> String {
        let page = RunReport(runs: [try RunRecord(folder: runFolder.url.path)]).html
        try runFolder.write(page, to: "report.html")
        return runFolder.file("report.html").path
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
        progress.message(
            "teacher: \(role.model.spec.name), training with hard labels for \(role.training.epochs) epochs")
        let checkpoint = try trainModel(
            role.model.spec, training: role.training, phase: "teacher", seed: config.seed,
            objective: HardLabelObjective(labelSmoothing: role.training.labelSmoothing))
        if let path = role.checkpoint, collective.isRoot {
            try makeFolder(for: path)
            try checkpoint.save(to: URL(fileURLWithPath: path))
            progress.message("teacher saved to \(path)")
        }
        return checkpoint
    }

    /// The config's teacher from its checkpoint, or trained first when the checkpoint does not
    /// exist (then it was trained on this run's inputs).
    func teacher() throws -> TeacherCheckpoint {
        let role = try config.requireTeacher(for: "kd distill")
        if let path = role.checkpoint, let loaded = inputs.teachers[path] {
            progress.message(
                "teacher: loaded \(path)\(loaded.input == nil ? "" : " (inputs renormalised as it was trained)")")
            return loaded
        }
        progress.message(
            "teacher checkpoint \(role.checkpoint ?? "(none given)") not found: training the teacher first")
        return TeacherCheckpoint(checkpoint: try trainTeacher(), input: nil)
    }

    /// A fresh model of `spec` trained with `objective`. The model's init, the data order and
    /// the augmentation (keyed by `seed` itself, as `distillationObjective`'s cached views are)
    /// come from `seed` alone, so phases given the same seed (student and baseline) start from
    /// the same weights and see the same batches. Saved as `<phase>.safetensors` after every
    /// epoch, and as `<phase>.best.safetensors` whenever validation accuracy beats every earlier
    /// epoch's (never replaced by a worse one).
    func trainModel(
        _ spec: ModelSpec, training: TrainingConfig, phase: String, seed: UInt64, objective: Objective,
        metadata: [String: String] = [:]
    ) throws -> Checkpoint {
        var rng = SplitMix64(seed: seed)
        let model = try ModelBuilder.build(spec, rng: &rng)
        try ModelFit.check(model, file: spec.name, dataset: splits.train)
        let checkpoint = Checkpoint(
            model: model, spec: spec, normalization: config.data.normalize,
            metadata: metadata.merging(["kd.role": phase]) { $1 })
        let bestFile = runFolder.file("\(phase).best.safetensors")
        var best = resuming ? Self.validationAccuracy(of: bestFile) : -Double.infinity
        try trainer.train(
            model, phase: phase, config: training, objective: objective, seed: rng.next(), augmentationPhase: seed
        ) { record in
            try checkpoint.save(to: self.runFolder.file("\(phase).safetensors"))
            if let accuracy = record.validationAccuracy, accuracy > best {
                best = accuracy
                try Checkpoint(
                    model: model, spec: spec, normalization: checkpoint.normalization,
                    metadata: checkpoint.metadata.merging(["kd.val_acc": "\(accuracy)", "kd.epoch": "\(record.epoch)"])
                    { $1 }
                )
                .save(to: bestFile)
            }
        }
        return checkpoint
    }

    /// The validation accuracy recorded in a best checkpoint, or -infinity when there is none.
    static func validationAccuracy(of bestFile: URL) -> Double {
        guard let file = try? SafeTensorsFile(contentsOf: bestFile), let text = file.metadata["kd.val_acc"],
            let value = Double(text)
        else { return -.infinity }
        return value
    }

    /// Seed of the student-side phases (student, baseline, generations, self): one apart from
    /// the teacher's, the same for all of them.
    var studentSeed: UInt64 { config.seed &+ 1 }

    /// Compares `models` on the evaluation set (see `RunInputs.evaluationSet`), writes
    /// summary.json and prints the table.
    /// `teacherLogitsFile`: the run's teacher was a logits file, so no model is the teacher.
    @discardableResult
    func finish(_ models: [ComparedModel], extra: [String: Any] = [:], teacherLogitsFile: String? = nil) throws
        -> Comparison
    {
        let comparison = try Comparison(
            models: models, dataset: try RunInputs.evaluationSet(of: splits, config: config),
            teacherLogitsFile: teacherLogitsFile)
        var summary = comparison.jsonObject
        summary["mode"] = config.distillation.mode.rawValue
        summary["machine"] = [
            "cpus": ProcessInfo.processInfo.activeProcessorCount, "threads": Parallel.threads,
            "ranks": collective.size,
            "os": ProcessInfo.processInfo.operatingSystemVersionString,
            "blas": BLASKernels.summary, "blas_kernels": BLASKernels.coreName as Any,
        ]
        summary.merge(extra) { $1 }
        try runFolder.write(JSONText.encode(summary, pretty: true) + "\n", to: "summary.json")
        progress.message("\n" + comparison.table)
        progress.message("run folder: \(runFolder.url.path)")
        return comparison
    }

    private func makeFolder(for path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotCreateTeacherFolder(path: folder.path)
        }
    }
}
