import Foundation
import NN

extension RunConfig {
    /// Loads and validates a run config file, resolving paths and loading its model specs.
    /// Every error names the file, the dotted key and the line.
    public static func load(path: String) throws -> RunConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: 0, key: "", message: "cannot read run config (no such file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: 0, key: "", message: "run config is not UTF-8 text")
        }
        return try RunConfig(yaml: text, file: path)
    }

    /// Parses run config YAML `text`; `file` names it in messages and anchors relative paths.
    public init(yaml text: String, file: String) throws {
        let root = try YAMLValue.document(text, file: file)
        self = try RunConfigParser(file: file).parse(root)
    }
}

/// Reads the sections of a run config (see `RunConfig` for the path rule).
struct RunConfigParser {
    let file: String
    let resolver: PathResolver

    init(file: String) {
        self.file = file
        self.resolver = PathResolver(configPath: file)
    }

    func parse(_ root: YAMLValue) throws -> RunConfig {
        let m = try root.mapping()
        try m.expect(["name", "seed", "output", "data", "training", "teacher", "student", "distillation"])
        let nameValue = m.value("name")
        let seedValue = m.value("seed")
        let outputValue = m.value("output")
        let dataValue = m.value("data")
        let trainingValue = m.value("training")
        let teacherValue = m.value("teacher")
        let studentValue = m.value("student")
        let distillValue = m.value("distillation")
        try m.finish()

        let name = try nameValue?.string() ?? ModelSpec.stem(of: file)
        let seed = UInt64(try seedValue?.int("an integer >= 0", where: { $0 >= 0 }) ?? 0)
        let output = try outputValue?.string() ?? "runs/\(name)"
        let data = try dataValue.map(parseData) ?? DataConfig()
        let shared = try trainingValue?.mapping()
        let training = try parseTraining(shared.map { [$0] } ?? [])
        let teacherLogits = try teacherValue.flatMap(parseTeacherLogits)
        let teacher =
            teacherLogits != nil
            ? nil
            : try teacherValue.map {
                try parseRole($0, shared: shared, keys: ["model", "checkpoint", "training", "normalize"])
            }
        let student = try studentValue.map {
            try parseRole($0, shared: shared, keys: ["model", "checkpoint", "training"])
        }
        var distillation = try distillValue.map(parseDistillation) ?? DistillationConfig()
        if let distillValue, let featuresValue = try distillValue.mapping().value("features") {
            try checkFeatures(
                featuresValue, distillValue: distillValue, &distillation, teacher: teacher, student: student)
        }

        if let logitsValue = teacherValue.flatMap({ try? $0.mapping().value("logits") }) {
            try checkTeacherLogits(logitsValue, data: data, distillation: distillation, hasStudent: student != nil)
        }
        guard teacher != nil || teacherLogits != nil || student != nil else {
            throw ConfigError(
                file: file, line: root.line, key: "",
                message: "a run config needs a 'teacher' or a 'student' section (or both)")
        }
        if let d = distillValue {
            func missing(_ key: String, _ why: String) -> ConfigError {
                ConfigError(file: file, line: d.keyLine, key: key, message: "missing required key '\(key)' (\(why))")
            }
            switch distillation.mode {
            case .standard:
                guard student != nil else { throw missing("student", "'distillation' needs a student model") }
                if distillation.teachers.isEmpty && teacher == nil && teacherLogits == nil {
                    throw missing("teacher", "standard distillation needs a teacher, or 'distillation.teachers'")
                }
            case .bornAgain:
                guard let teacher else { throw missing("teacher", "born-again generation 0 is the teacher") }
                if let student,
                    student.model.spec.layers != teacher.model.spec.layers
                        || student.model.spec.input != teacher.model.spec.input
                {
                    throw ConfigError(
                        file: file, line: d.keyLine, key: "student.model",
                        message:
                            "born-again generations share the teacher's architecture, but 'student.model' (\(student.model.spec.name)) differs from 'teacher.model' (\(teacher.model.spec.name)); omit the student section or give it the teacher's model"
                    )
                }
            case .selfDistillation:
                guard student != nil else {
                    throw missing("student", "self-distillation trains the student model on its own predictions")
                }
            }
        }
        if let n = data.normalize, let nv = dataValue.flatMap({ try? $0.mapping().value("normalize") }) {
            for role in [teacher, student].compactMap({ $0 }) where role.model.spec.input.count == 3 {
                let c = role.model.spec.input[0]
                guard n.mean.count == c else {
                    throw nv.error(
                        "'data.normalize' has \(n.mean.count) mean/std values, model \(role.model.spec.name) takes \(c) input channel\(c == 1 ? "" : "s")"
                    )
                }
            }
        }
        if let augmentValue = dataValue.flatMap({ try? $0.mapping().value("augment") }) {
            try checkAugment(
                augmentValue, data.augment, models: [teacher, student].compactMap { $0?.model.spec },
                distillation: student == nil ? nil : distillation)
        }
        if let viewsValue = distillValue.flatMap({ try? $0.mapping().value("cache_views") }) {
            try checkCacheViews(
                viewsValue, distillValue: distillValue, augment: data.augment, distillation: distillation)
        }
        return RunConfig(
            configPath: file, name: name, seed: seed, output: output, data: data, training: training,
            teacher: teacher, student: student, distillation: distillation, teacherLogits: teacherLogits)
    }

    // MARK: data

    func parseData(_ v: YAMLValue) throws -> DataConfig {
        let m = try v.mapping()
        try m.expect(["source", "validation", "limit", "test_limit", "normalize", "csv", "augment", "classes"])
        var config = DataConfig()
        if let s = m.value("source") {
            let text = try s.string()
            do {
                config.source = try DataSource(parsing: text).mapPaths(resolver.resolve)
            } catch let e as DataError {
                throw s.error("'\(s.path)': \(e.fault), got '\(text)'")
            }
        }
        if let val = m.value("validation") {
            if let k = val.scalarString.flatMap({ Int($0) }) {
                guard k >= 0 else {
                    throw val.error("'\(val.path)' must be a count >= 0 or a fraction in (0, 1), got \(val.shown)")
                }
                config.validation = k == 0 ? nil : .count(k)
            } else {
                let f = try val.double("a count >= 0 or a fraction in (0, 1)", where: { $0 > 0 && $0 < 1 })
                config.validation = .fraction(f)
            }
        }
        config.limit = try m.value("limit")?.int("an integer >= 1", where: { $0 >= 1 })
        config.testLimit = try m.value("test_limit")?.int("an integer >= 1", where: { $0 >= 1 })
        config.normalize = try m.value("normalize").map(parseNormalization)
        if let cv = m.value("csv") {
            let c = try cv.mapping()
            try c.expect(["label_column", "header", "scale", "shape"])
            var o = CSVOptions()
            o.labelColumn = try c.value("label_column")?.int("an integer >= 0", where: { $0 >= 0 }) ?? 0
            if let h = c.value("header") {
                switch h.scalarString?.lowercased() {
                case "auto": o.header = .auto
                case "true", "yes", "on": o.header = .present
                case "false", "no", "off": o.header = .absent
                default: throw h.error("'\(h.path)' must be one of auto, true, false, got \(h.shown)")
                }
            }
            o.scale = try c.value("scale")?.float("a number > 0", where: { $0 > 0 }) ?? 255
            if let sv = c.value("shape") {
                o.shape = try sv.ints("a positive integer", where: { $0 > 0 })
                if o.shape?.isEmpty ?? true {
                    throw sv.error("'\(sv.path)' must be a non-empty list of positive integers")
                }
            }
            try c.finish()
            config.csv = o
        }
        config.augment = try m.value("augment").map(parseAugment)
        if let cv = m.value("classes") {
            let names = try cv.sequence().map { try $0.string() }
            guard !names.isEmpty, Set(names).count == names.count else {
                throw cv.error("'\(cv.path)' must be a non-empty list of distinct class names")
            }
            config.classes = names
        }
        try m.finish()
        return config
    }

    /// `{mean: [...], std: [...]}`, one value per channel each, every std > 0.
    func parseNormalization(_ v: YAMLValue) throws -> Normalization {
        let n = try v.mapping()
        try n.expect(["mean", "std"])
        let meanValue = try n.required("mean")
        let stdValue = try n.required("std")
        let mean = try meanValue.doubles().map(Float.init)
        let std = try stdValue.doubles("a number > 0", where: { $0 > 0 }).map(Float.init)
        try n.finish()
        guard !mean.isEmpty else { throw meanValue.error("'\(meanValue.path)' must list one mean per channel") }
        guard mean.count == std.count else {
            throw stdValue.error(
                "'\(stdValue.path)' has \(std.count) values, '\(meanValue.path)' has \(mean.count) (one per channel)")
        }
        return Normalization(mean: mean, std: std)
    }

    // MARK: roles and training

    /// A `teacher:` or `student:` section with the role's allowed `keys`.
    func parseRole(_ v: YAMLValue, shared: YAMLMapping?, keys: [String]) throws -> RoleConfig {
        let r = try v.mapping()
        try r.expect(keys)
        let modelValue = try r.required("model")
        let modelPath = try modelValue.string()
        guard let found = resolver.find(modelPath) else {
            let looked = resolver.candidates(modelPath).joined(separator: ", ")
            throw modelValue.error("'\(modelValue.path)': model spec not found: \(modelPath) (looked for \(looked))")
        }
        let spec: ModelSpec
        do {
            spec = try ModelSpec.load(path: found, display: Self.display(found))
        } catch let e as ConfigError {
            throw ConfigError(
                file: e.file, line: e.line, key: e.key,
                message: e.message + " (model spec of '\(modelValue.path)' in \(file):\(modelValue.line))")
        }
        let checkpoint = try r.value("checkpoint").map { resolver.resolve(try $0.string()) }
        let own = try r.value("training")?.mapping()
        let training = try parseTraining([shared, own].compactMap { $0 })
        let normalize = try r.value("normalize").map(parseNormalization)
        try r.finish()
        return RoleConfig(
            model: ModelRef(path: found, spec: spec), checkpoint: checkpoint, training: training,
            normalize: normalize)
    }

    /// `path` relative to the current directory when under it (for messages).
    static func display(_ path: String) -> String {
        let cwd = PathResolver.absolute(".")
        return path.hasPrefix(cwd + "/") ? String(path.dropFirst(cwd.count + 1)) : path
    }

    /// Training settings from mappings of rising priority (`training`, then `<role>.training`):
    /// for each key the last mapping that sets it wins; optimizer and schedule merge key by key.
    func parseTraining(_ layers: [YAMLMapping]) throws -> TrainingConfig {
        let l = Layers(layers)
        try l.expect(["epochs", "batch_size", "optimizer", "schedule", "label_smoothing", "sync_batchnorm"])
        var t = TrainingConfig()
        t.epochs =
            try l.value("epochs")?.int(
                "an integer in 1...\(RunLimits.epochs)", where: { (1...RunLimits.epochs).contains($0) }) ?? t.epochs
        t.batchSize =
            try l.value("batch_size")?.int(
                "an integer in 1...\(RunLimits.batchSize)", where: { (1...RunLimits.batchSize).contains($0) })
            ?? t.batchSize
        t.labelSmoothing =
            try l.value("label_smoothing")?.float("a number in [0, 1)", where: { $0 >= 0 && $0 < 1 }) ?? 0
        t.syncBatchnorm = try l.value("sync_batchnorm")?.bool() ?? false
        t.optimizer = try parseOptimizer(try l.sub("optimizer"))
        t.schedule = try parseSchedule(try l.sub("schedule"))
        for m in layers { try m.finish() }
        return t
    }

    func parseOptimizer(_ l: Layers) throws -> OptimizerConfig {
        try l.expect(OptimizerConfig.keys)
        let allowed = OptimizerConfig.Name.allCases.map(\.rawValue)
        let name = try l.value("name").map { OptimizerConfig.Name(rawValue: try $0.oneOf(allowed)) ?? .adam } ?? .adam
        var o = OptimizerConfig(name: name)
        o.lr = try l.value("lr")?.float("a number > 0", where: { $0 > 0 }) ?? o.lr
        o.weightDecay = try l.value("weight_decay")?.float("a number >= 0", where: { $0 >= 0 }) ?? o.weightDecay
        o.momentum = try l.value("momentum")?.float("a number in [0, 1)", where: { $0 >= 0 && $0 < 1 }) ?? o.momentum
        o.eps = try l.value("eps")?.float("a number > 0", where: { $0 > 0 }) ?? o.eps
        if let b = l.value("betas") {
            let betas = try b.doubles("a number in [0, 1)", where: { $0 >= 0 && $0 < 1 })
            guard betas.count == 2 else {
                throw b.error("'\(b.path)' must be two numbers [beta1, beta2], got \(betas.count)")
            }
            o.betas = betas.map(Float.init)
        }
        if let n = l.value("nesterov") {
            o.nesterov = try n.bool()
            if o.nesterov && name == .sgd && o.momentum <= 0 {
                throw n.error("'\(n.path)' needs momentum > 0 (as in PyTorch SGD)")
            }
        }
        try l.finish()
        return o
    }

    func parseSchedule(_ l: Layers) throws -> ScheduleConfig {
        try l.expect(["name", "warmup_epochs", "min_lr", "step_size", "gamma"])
        let allowed = ScheduleConfig.Name.allCases.map(\.rawValue)
        var s = ScheduleConfig()
        s.name =
            try l.value("name").map { ScheduleConfig.Name(rawValue: try $0.oneOf(allowed)) ?? .constant } ?? .constant
        s.warmupEpochs =
            try l.value("warmup_epochs")?.int(
                "an integer in 0...\(RunLimits.epochs)", where: { (0...RunLimits.epochs).contains($0) }) ?? 0
        s.minLR = try l.value("min_lr")?.float("a number >= 0", where: { $0 >= 0 }) ?? 0
        s.stepSize = try l.value("step_size")?.int(
            "an integer in 1...\(RunLimits.epochs)", where: { (1...RunLimits.epochs).contains($0) })
        s.gamma = try l.value("gamma")?.float("a number > 0", where: { $0 > 0 }) ?? 0.1
        if s.name == .step && s.stepSize == nil {
            let owner = l.top?.owner
            let path = owner.map { $0.childPath("step_size") } ?? "training.schedule.step_size"
            throw ConfigError(
                file: owner?.file ?? file, line: owner?.keyLine ?? 0, key: path,
                message: "missing required key '\(path)' (schedule 'step' needs it)")
        }
        try l.finish()
        return s
    }
}

/// Mappings of rising priority read as one: the last that sets a key wins.
struct Layers {
    let layers: [YAMLMapping]
    init(_ layers: [YAMLMapping]) { self.layers = layers }

    var top: YAMLMapping? { layers.last }

    func value(_ key: String) -> YAMLValue? {
        var hit: YAMLValue?
        for m in layers { if let v = m.value(key) { hit = v } }
        return hit
    }

    /// The nested mappings under `key` (a plain scalar is shorthand for {name: scalar}).
    func sub(_ key: String) throws -> Layers {
        Layers(
            try layers.compactMap { m -> YAMLMapping? in
                guard let v = m.value(key) else { return nil }
                if case .scalar = v.node {
                    return try YAMLMapping(v, pairs: [("name", v.line, v.node)])
                }
                return try v.mapping()
            })
    }

    func expect(_ keys: [String]) throws {
        for m in layers { try m.expect(keys) }
    }

    /// Errors on the first unknown key of any layer.
    func finish() throws {
        for m in layers { try m.finish() }
    }
}
