import Foundation
import Yams

extension RunConfig {
    /// The config with every default made explicit and every path absolute, as YAML that
    /// `RunConfig(yaml:file:)` reads back to the same values (written into the run directory).
    /// Role `training` sections are the fully merged settings.
    public func resolvedYAML() throws -> String {
        var top: [(Node, Node)] = [
            ("name", Node(name)),
            ("seed", Node(String(seed))),
            ("output", Node(output)),
            ("data", dataNode()),
            ("training", Self.trainingNode(training)),
        ]
        if let t = teacher { top.append(("teacher", Self.roleNode(t))) }
        if let l = teacherLogits { top.append(("teacher", Self.map([("logits", Node(l))]))) }
        if let s = student { top.append(("student", Self.roleNode(s))) }
        top.append(("distillation", distillationNode()))
        do {
            return try Yams.serialize(node: Node(top))
        } catch {
            throw ConfigError(file: configPath, line: 0, key: "", message: "cannot write the resolved config: \(error)")
        }
    }

    static func f(_ x: Float) -> Node { Node("\(x)") }
    static func i(_ x: Int) -> Node { Node(String(x)) }
    static func b(_ x: Bool) -> Node { Node(x ? "true" : "false") }
    static func list(_ xs: [Node]) -> Node { Node(xs, .implicit, .flow) }
    static func map(_ pairs: [(Node, Node)]) -> Node { Node(pairs) }

    func dataNode() -> Node {
        var d: [(Node, Node)] = [("source", Node(data.source.text))]
        switch data.validation {
        case .count(let k)?: d.append(("validation", Self.i(k)))
        case .fraction(let x)?: d.append(("validation", Node("\(x)")))
        case nil: break
        }
        if let l = data.limit { d.append(("limit", Self.i(l))) }
        if let l = data.testLimit { d.append(("test_limit", Self.i(l))) }
        if let n = data.normalize { d.append(("normalize", Self.normalizationNode(n))) }
        let c = data.csv
        var csv: [(Node, Node)] = [
            ("label_column", Self.i(c.labelColumn)),
            ("header", Node(c.header == .auto ? "auto" : c.header == .present ? "true" : "false")),
            ("scale", Self.f(c.scale)),
        ]
        if let s = c.shape { csv.append(("shape", Self.list(s.map(Self.i)))) }
        d.append(("csv", Node(csv)))
        if let a = data.augment { d.append(("augment", Self.augmentNode(a))) }
        if let names = data.classes {
            d.append(("classes", Self.list(names.map { Node($0, .implicit, .doubleQuoted) })))
        }
        return Node(d)
    }

    static func augmentNode(_ a: AugmentConfig) -> Node {
        var pairs: [(Node, Node)] = []
        if let c = a.crop { pairs.append(("crop", map([("padding", i(c.padding)), ("p", f(c.p))]))) }
        if let p = a.flip { pairs.append(("flip", map([("p", f(p))]))) }
        for (name, mode) in [("mixup", a.mixup), ("cutmix", a.cutmix)] {
            if let m = mode { pairs.append((Node(name), map([("alpha", f(m.alpha)), ("p", f(m.p))]))) }
        }
        return Node(pairs)
    }

    static func trainingNode(_ t: TrainingConfig) -> Node {
        let o = t.optimizer
        let s = t.schedule
        var schedule: [(Node, Node)] = [
            ("name", Node(s.name.rawValue)), ("warmup_epochs", i(s.warmupEpochs)), ("min_lr", f(s.minLR)),
            ("gamma", f(s.gamma)),
        ]
        if let k = s.stepSize { schedule.append(("step_size", i(k))) }
        return map([
            ("epochs", i(t.epochs)),
            ("batch_size", i(t.batchSize)),
            (
                "optimizer",
                map([
                    ("name", Node(o.name.rawValue)), ("lr", f(o.lr)), ("weight_decay", f(o.weightDecay)),
                    ("momentum", f(o.momentum)), ("nesterov", b(o.nesterov)), ("betas", list(o.betas.map(f))),
                    ("eps", f(o.eps)),
                ])
            ),
            ("schedule", Node(schedule)),
            ("label_smoothing", f(t.labelSmoothing)),
            ("sync_batchnorm", b(t.syncBatchnorm)),
        ])
    }

    static func roleNode(_ r: RoleConfig) -> Node {
        var pairs: [(Node, Node)] = [("model", Node(r.model.path))]
        if let c = r.checkpoint { pairs.append(("checkpoint", Node(c))) }
        pairs.append(("training", trainingNode(r.training)))
        if let n = r.normalize { pairs.append(("normalize", normalizationNode(n))) }
        return Node(pairs)
    }

    static func normalizationNode(_ n: Normalization) -> Node {
        map([("mean", list(n.mean.map(f))), ("std", list(n.std.map(f)))])
    }

    func distillationNode() -> Node {
        let d = distillation
        var pairs: [(Node, Node)] = [
            ("temperature", Self.f(d.temperature)), ("alpha", Self.f(d.alpha)),
            ("divergence", Node(d.divergence.rawValue)),
            ("baseline", Self.b(d.baseline)), ("cache_teacher_logits", Self.b(d.cacheTeacherLogits)),
            ("mode", Node(d.mode.rawValue)), ("generations", Self.i(d.generations)),
        ]
        if !d.teachers.isEmpty { pairs.append(("teachers", Node(d.teachers.map { Node($0) }))) }
        if let views = d.cacheViews { pairs.append(("cache_views", Self.i(views))) }
        pairs.append(("loss", Node(d.loss.rawValue)))
        pairs.append(("standardize_logits", Self.b(d.standardizeLogits)))
        pairs.append(
            (
                "dkd",
                Self.map([
                    ("alpha", Self.f(d.dkd.alpha)), ("beta", Self.f(d.dkd.beta)),
                    ("warmup_epochs", Self.i(d.dkd.warmupEpochs)),
                ])
            ))
        pairs.append(
            (
                "dist",
                Self.map([("beta", Self.f(d.dist.beta)), ("gamma", Self.f(d.dist.gamma)), ("tau", Self.f(d.dist.tau))])
            ))
        if !d.features.isEmpty { pairs.append(("features", Node(d.features.map(Self.featureNode)))) }
        return Node(pairs)
    }

    /// One `features` entry as written (its shapes are filled in again when the file is read);
    /// `regressor` only on hint pairs, where the reader accepts it.
    static func featureNode(_ pair: FeaturePair) -> Node {
        var entry: [(Node, Node)] = [
            ("student", i(pair.student)), ("teacher", i(pair.teacher)), ("loss", Node(pair.loss.rawValue)),
            ("weight", f(pair.weight)),
        ]
        if pair.loss == .hint { entry.append(("regressor", Node(pair.regressor.rawValue))) }
        return map(entry)
    }
}
