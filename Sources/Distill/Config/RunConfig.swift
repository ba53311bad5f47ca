import Foundation
import NN

/// Optimizer settings (`training.optimizer`). Keys not used by the chosen optimizer are ignored
/// (momentum/nesterov for adam, betas/eps for sgd).
public struct OptimizerConfig: Equatable, Sendable {
    public enum Name: String, CaseIterable, Sendable { case sgd, adam, adamw }
    public var name: Name
    public var lr: Float
    /// L2 penalty (sgd, adam) or decoupled decay (adamw). Default 0, 0.01 for adamw (as PyTorch).
    public var weightDecay: Float
    public var momentum: Float
    public var nesterov: Bool
    /// Adam's (beta1, beta2).
    public var betas: [Float]
    public var eps: Float

    /// The keys of `training.optimizer` in a run config, one per field.
    public static let keys = ["name", "lr", "weight_decay", "momentum", "nesterov", "betas", "eps"]

    public init(
        name: Name = .adam, lr: Float = 0.001, weightDecay: Float? = nil, momentum: Float = 0,
        nesterov: Bool = false, betas: [Float] = [0.9, 0.999], eps: Float = 1e-8
    ) {
        self.name = name
        self.lr = lr
        self.weightDecay = weightDecay ?? (name == .adamw ? 0.01 : 0)
        self.momentum = momentum
        self.nesterov = nesterov
        self.betas = betas
        self.eps = eps
    }
}

/// Learning-rate schedule per epoch (`training.schedule`), after `warmupEpochs` of linear warm-up.
public struct ScheduleConfig: Equatable, Sendable {
    public enum Name: String, CaseIterable, Sendable { case constant, step, cosine }
    public var name: Name
    public var warmupEpochs: Int
    /// Floor of the cosine schedule.
    public var minLR: Float
    /// Epochs between decays (step; required for it).
    public var stepSize: Int?
    /// Decay factor (step).
    public var gamma: Float

    public init(
        name: Name = .constant, warmupEpochs: Int = 0, minLR: Float = 0, stepSize: Int? = nil, gamma: Float = 0.1
    ) {
        self.name = name
        self.warmupEpochs = warmupEpochs
        self.minLR = minLR
        self.stepSize = stepSize
        self.gamma = gamma
    }
}

/// Training settings of one role, fully merged: defaults < `training:` < `<role>.training:` < CLI.
public struct TrainingConfig: Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerConfig
    public var schedule: ScheduleConfig
    /// Label smoothing of the hard cross-entropy term, in [0, 1).
    public var labelSmoothing: Float
    /// `sync_batchnorm`: under mpirun, batch-norm statistics over every rank's share of the
    /// global batch (default false: each rank's own share). No effect on one process.
    public var syncBatchnorm = false

    public init(
        epochs: Int = 10, batchSize: Int = 128, optimizer: OptimizerConfig = OptimizerConfig(),
        schedule: ScheduleConfig = ScheduleConfig(), labelSmoothing: Float = 0
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.schedule = schedule
        self.labelSmoothing = labelSmoothing
    }
}

/// A model spec file and its parsed, validated contents.
public struct ModelRef: Equatable, Sendable {
    /// Absolute path of the spec file.
    public var path: String
    public var spec: ModelSpec
    public init(path: String, spec: ModelSpec) {
        self.path = path
        self.spec = spec
    }
}

/// The `teacher:` or `student:` section.
public struct RoleConfig: Equatable, Sendable {
    public var model: ModelRef
    /// Absolute checkpoint path; may not exist yet (the runner trains and writes it then).
    public var checkpoint: String?
    /// Merged training settings for this role.
    public var training: TrainingConfig
    /// The input normalisation a teacher checkpoint without a recorded one (a plain PyTorch
    /// state_dict) was trained with (`teacher.normalize`); nil: the run's `data.normalize`.
    public var normalize: Normalization?

    /// True when `checkpoint` names an existing file.
    public var checkpointExists: Bool {
        guard let c = checkpoint else { return false }
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: c, isDirectory: &isDir) && !isDir.boolValue
    }

    public init(
        model: ModelRef, checkpoint: String? = nil, training: TrainingConfig = TrainingConfig(),
        normalize: Normalization? = nil
    ) {
        self.model = model
        self.checkpoint = checkpoint
        self.training = training
        self.normalize = normalize
    }
}

/// The `distillation:` section. `alpha` weighs the SOFT (teacher) term:
/// L = alpha * T^2 * D(teacher/T, student/T) + (1 - alpha) * CE(student, labels).
public struct DistillationConfig: Equatable, Sendable {
    public enum Mode: String, CaseIterable, Sendable {
        case standard
        case bornAgain = "born-again"
        case selfDistillation = "self"
    }

    public var temperature: Float
    public var alpha: Float
    public var divergence: Divergence
    /// Also train the student on hard labels only, same seed, for comparison.
    public var baseline: Bool
    public var cacheTeacherLogits: Bool
    /// V: cache the teacher's outputs for V augmented views of the training set (needs
    /// `data.augment`); nil: no view cache.
    public var cacheViews: Int?
    public var mode: Mode
    /// Born-again generations.
    public var generations: Int
    /// Several teacher checkpoints whose logits are averaged (absolute paths).
    public var teachers: [String]
    /// The logit objective (`kd`, `dkd`, `dist`).
    public var loss: LogitLoss = .kd
    /// Standardise teacher and student logits per sample before the temperature (kd and dkd).
    public var standardizeLogits = false
    public var dkd = DKDConfig()
    public var dist = DISTConfig()
    /// Feature pairs (FitNets hints, attention transfer) added to the logit objective, their
    /// shapes filled in from the specs.
    public var features: [FeaturePair] = []

    public init(
        temperature: Float = 4, alpha: Float = 0.9, divergence: Divergence = .kl, baseline: Bool = true,
        cacheTeacherLogits: Bool = true, mode: Mode = .standard, generations: Int = 3, teachers: [String] = []
    ) {
        self.temperature = temperature
        self.alpha = alpha
        self.divergence = divergence
        self.baseline = baseline
        self.cacheTeacherLogits = cacheTeacherLogits
        self.mode = mode
        self.generations = generations
        self.teachers = teachers
    }
}

/// One experiment (Configs/*.yaml), validated, with paths resolved and model specs loaded.
///
/// Relative paths (model specs, checkpoints, teachers, idx:/csv: data files) are looked up
/// 1. relative to the current directory, then 2. relative to the config file's folder, then
/// 3. relative to that folder's parent; the first that exists wins and is stored absolute. A path
/// found nowhere is kept relative to the current directory (an error for model specs; for a
/// checkpoint, the place where the trained teacher will be written). `output` stays as written.
public struct RunConfig: Equatable, Sendable {
    /// The config file as given.
    public var configPath: String
    public var name: String
    public var seed: UInt64
    /// Run directory (default runs/<name>), relative to the current directory unless absolute.
    public var output: String
    public var data: DataConfig
    /// The shared `training:` section merged over the defaults (what roles inherit).
    public var training: TrainingConfig
    public var teacher: RoleConfig?
    public var student: RoleConfig?
    public var distillation: DistillationConfig
    /// `teacher.logits`: the absolute path of a file of teacher logits [N, K] over the training
    /// file (`.npy`, or `.safetensors`), which replaces the teacher model (`teacher` is nil then).
    public var teacherLogits: String? = nil

    /// The teacher section, or an error naming the config for commands that need one.
    public func requireTeacher(for command: String = "this command") throws -> RoleConfig {
        guard let t = teacher else {
            if teacherLogits != nil {
                throw ConfigError(
                    file: configPath, line: 0, key: "teacher.logits",
                    message:
                        "\(command) needs a teacher model, and the config's teacher is a logits file ('teacher.logits', which only kd distill uses)"
                )
            }
            throw ConfigError(
                file: configPath, line: 0, key: "teacher",
                message: "missing required key 'teacher' (\(command) needs a teacher model)")
        }
        return t
    }

    /// The student section, or an error naming the config for commands that need one.
    public func requireStudent(for command: String = "this command") throws -> RoleConfig {
        guard let s = student else {
            throw ConfigError(
                file: configPath, line: 0, key: "student",
                message: "missing required key 'student' (\(command) needs a student model)")
        }
        return s
    }

    /// The config with CLI overrides applied: `epochs` for every role, `seed`, `output`, the
    /// teacher checkpoint (resolved against the current directory), temperature and alpha.
    public func applying(
        epochs: Int? = nil, seed: UInt64? = nil, output: String? = nil,
        teacherCheckpoint: String? = nil, temperature: Float? = nil, alpha: Float? = nil
    ) throws -> RunConfig {
        var c = self
        if let t = temperature {
            guard t > 0, t.isFinite else {
                throw ConfigError(
                    file: configPath, line: 0, key: "distillation.temperature",
                    message: "--temperature must be > 0, got \(t)")
            }
            c.distillation.temperature = t
        }
        if let a = alpha {
            guard (0...1).contains(a) else {
                throw ConfigError(
                    file: configPath, line: 0, key: "distillation.alpha", message: "--alpha must be in [0, 1], got \(a)"
                )
            }
            c.distillation.alpha = a
        }
        if let e = epochs {
            guard (1...RunLimits.epochs).contains(e) else {
                throw ConfigError(
                    file: configPath, line: 0, key: "epochs",
                    message: "--epochs must be in 1...\(RunLimits.epochs), got \(e)")
            }
            c.training.epochs = e
            c.teacher?.training.epochs = e
            c.student?.training.epochs = e
        }
        if let s = seed { c.seed = s }
        if let o = output { c.output = o }
        if let t = teacherCheckpoint {
            if c.teacherLogits != nil {
                throw ConfigError(
                    file: configPath, line: 0, key: "teacher.logits",
                    message: "--teacher-checkpoint given but the config's teacher is a logits file ('teacher.logits')")
            }
            guard c.teacher != nil else {
                throw ConfigError(
                    file: configPath, line: 0, key: "teacher",
                    message: "--teacher-checkpoint given but the config has no 'teacher' section")
            }
            c.teacher?.checkpoint = PathResolver.absolute(t)
        }
        return c
    }
}

/// Resolves config-relative paths (see `RunConfig`).
struct PathResolver {
    let configDir: String

    init(configPath: String) {
        configDir = (Self.absolute(configPath) as NSString).deletingLastPathComponent
    }

    /// `path` made absolute against the current directory, standardised.
    static func absolute(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL
            .path
    }

    /// The places a relative `path` is looked for, in order.
    func candidates(_ path: String) -> [String] {
        if path.hasPrefix("/") { return [Self.absolute(path)] }
        let expanded = (path as NSString).expandingTildeInPath
        if expanded != path { return [Self.absolute(expanded)] }
        let parent = (configDir as NSString).deletingLastPathComponent
        var seen = Set<String>()
        return [
            Self.absolute(path),
            Self.absolute((configDir as NSString).appendingPathComponent(path)),
            Self.absolute((parent as NSString).appendingPathComponent(path)),
        ].filter { seen.insert($0).inserted }
    }

    /// The first existing candidate, or nil.
    func find(_ path: String) -> String? {
        candidates(path).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The first existing candidate, else `path` against the current directory.
    func resolve(_ path: String) -> String {
        find(path) ?? Self.absolute((path as NSString).expandingTildeInPath)
    }
}
