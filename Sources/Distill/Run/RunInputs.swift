import Foundation
import NN

/// A teacher checkpoint ready for distillation: the model, and the renormalisation that turns
/// the run's inputs into the inputs it was trained on (nil when they are prepared alike).
struct TeacherCheckpoint {
    let checkpoint: Checkpoint
    let input: InputRenormalization?

    var teacher: TeacherModel { TeacherModel(model: checkpoint.model, input: input) }
}

/// What a job does: train the config's teacher (`kd train`) or run the distillation (`kd distill`).
public enum JobTask: Sendable {
    case trainTeacher
    case distill
}

/// The checks a job makes before it creates its run folder: every model it will build fits the
/// data, every teacher checkpoint that exists loads, fits and speaks the student's classes, a
/// teacher checkpoint path is not a folder (nor an existing file `kd train` would replace
/// without `--force`), and the comparison has a split to run on.
struct RunInputs {
    /// The teacher checkpoints that exist, loaded and checked, by absolute path.
    let teachers: [String: TeacherCheckpoint]
    /// `teacher.logits` read and checked, row i for training sample i (nil without the key).
    let teacherLogits: Tensor?

    /// `replacingTeacher`: an existing teacher checkpoint may be replaced (`--force`, or a
    /// resumed `kd train` that wrote it).
    init(config: RunConfig, splits: DataSplits, task: JobTask, replacingTeacher: Bool) throws {
        var teachers: [String: TeacherCheckpoint] = [:]
        var teacherLogits: Tensor?
        let data = splits.train
        func builds(_ spec: ModelSpec) throws -> Sequential {
            var rng = SplitMix64(seed: 0)
            let model = try ModelBuilder.build(spec, rng: &rng)
            try ModelFit.check(model, file: spec.name, dataset: data)
            return model
        }
        let mode = config.distillation.mode
        let role =
            task == .trainTeacher ? Optional(try config.requireTeacher(for: "training a teacher")) : config.teacher
        let usesTeacherRole =
            task == .trainTeacher || mode == .bornAgain || (mode == .standard && config.distillation.teachers.isEmpty)
        if usesTeacherRole, let role {
            _ = try builds(role.model.spec)
            if let path = role.checkpoint, try Self.existingFile(path) {
                if task == .trainTeacher {
                    guard replacingTeacher else { throw RunFolderError.teacherCheckpointExists(path: path) }
                } else {
                    teachers[path] = try Self.loadTeacher(path, role: role, config: config, data: data)
                }
            }
        }
        if task == .distill, mode == .standard {
            for path in config.distillation.teachers {
                _ = try Self.existingFile(path)
                teachers[path] = try Self.loadTeacher(path, role: role, config: config, data: data)
            }
        }
        if task == .distill {
            if let student = config.student {
                let model = try builds(student.model.spec)
                if let views = config.distillation.cacheViews {
                    try Self.checkCacheSize(
                        views: views, samples: data.count, classes: model.outputShape.reduce(1, *), config: config)
                }
                for (path, loaded) in teachers
                where mode == .standard && loaded.checkpoint.model.outputShape != model.outputShape {
                    throw ModelError.teacherStudentMismatch(
                        teacher: path, teacherOutputs: loaded.checkpoint.model.outputShape,
                        student: student.model.spec.name, studentOutputs: model.outputShape)
                }
                if let path = config.teacherLogits, mode == .standard {
                    teacherLogits = try TeacherLogitsFile.load(
                        path: path, splits: splits, classes: model.outputShape.reduce(1, *))
                }
            }
            _ = try Self.evaluationSet(of: splits, config: config)
        }
        self.teachers = teachers
        self.teacherLogits = teacherLogits
    }

    /// Refuses a view cache (views x samples x classes floats) above `RunLimits.teacherCacheFloats`.
    static func checkCacheSize(views: Int, samples: Int, classes: Int, config: RunConfig) throws {
        let (perView, overflow) = samples.multipliedReportingOverflow(by: classes)
        let (floats, overflow2) = perView.multipliedReportingOverflow(by: views)
        guard overflow || overflow2 || floats > RunLimits.teacherCacheFloats else { return }
        throw ConfigError(
            file: config.configPath, line: 0, key: "distillation.cache_views",
            message:
                "'distillation.cache_views' (\(views)) would hold \(views) x \(samples) x \(classes) floats (\(cacheMegabytes(views: views, samples: samples, classes: classes)) MB), more than the \(RunLimits.teacherCacheFloats / (1 << 18)) MB limit; use fewer views"
        )
    }

    /// The megabytes (2^20 bytes) of a cache of views x samples x classes floats.
    static func cacheMegabytes(views: Int, samples: Int, classes: Int) -> Int {
        Int((Double(views) * Double(samples) * Double(classes) * 4 / 1_048_576).rounded(.up))
    }

    /// True when `path` names a file; false when nothing is there; an error when it is a folder.
    static func existingFile(_ path: String) throws -> Bool {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return false }
        guard !isFolder.boolValue else { throw RunFolderError.teacherCheckpointNotAFile(path: path) }
        return true
    }

    /// A teacher checkpoint, checked against the data, with the renormalisation its inputs need:
    /// the normalisation recorded in the file; for a plain PyTorch state_dict (no kd metadata)
    /// the config's `teacher.normalize`, else the run's own. `role`'s spec describes files
    /// without an embedded kd spec.
    static func loadTeacher(_ path: String, role: RoleConfig?, config: RunConfig, data: Dataset) throws
        -> TeacherCheckpoint
    {
        let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: path), fallbackSpec: role?.model.spec)
        try ModelFit.check(checkpoint.model, file: path, dataset: data)
        try checkpoint.requireFiniteTensors(path: path)
        let trainedOn =
            checkpoint.recordsNormalization ? checkpoint.normalization : (role?.normalize ?? config.data.normalize)
        let input = try InputRenormalization(
            from: config.data.normalize, to: trainedOn, channels: data.channels, owner: path)
        return TeacherCheckpoint(checkpoint: checkpoint, input: input)
    }

    /// The split comparisons are made on: the test split, or the validation split for sources
    /// with a single file.
    static func evaluationSet(of splits: DataSplits, config: RunConfig) throws -> Dataset {
        guard let set = splits.test ?? splits.validation else {
            throw DataError(config.data.source.text, "has no test split; set data.validation to hold some samples out")
        }
        return set
    }
}
