import Foundation
import NN

/// The `distillation:` section of a run config.
extension RunConfigParser {
    func parseDistillation(_ v: YAMLValue) throws -> DistillationConfig {
        let m = try v.mapping()
        try m.expect([
            "temperature", "alpha", "divergence", "baseline", "cache_teacher_logits", "mode", "generations", "teachers",
            "loss", "standardize_logits", "dkd", "dist", "cache_views", "features",
        ])
        var d = DistillationConfig()
        d.temperature = try m.value("temperature")?.float("a number > 0", where: { $0 > 0 }) ?? d.temperature
        d.alpha = try m.value("alpha")?.float("a number in [0, 1]", where: { $0 >= 0 && $0 <= 1 }) ?? d.alpha
        if let x = m.value("divergence") {
            d.divergence = Divergence(rawValue: try x.oneOf(Divergence.allCases.map(\.rawValue))) ?? .kl
        }
        d.baseline = try m.value("baseline")?.bool() ?? d.baseline
        d.cacheTeacherLogits = try m.value("cache_teacher_logits")?.bool() ?? d.cacheTeacherLogits
        d.cacheViews = try m.value("cache_views")?.int(
            "an integer in 1...\(RunLimits.cacheViews)", where: { (1...RunLimits.cacheViews).contains($0) })
        if let x = m.value("mode") {
            d.mode =
                DistillationConfig.Mode(rawValue: try x.oneOf(DistillationConfig.Mode.allCases.map(\.rawValue)))
                ?? .standard
        }
        d.generations =
            try m.value("generations")?.int(
                "an integer in 1...\(RunLimits.generations)", where: { (1...RunLimits.generations).contains($0) })
            ?? d.generations
        if let t = m.value("teachers") {
            let items = try t.sequence()
            guard items.count <= RunLimits.teachers else {
                throw t.error(
                    "'\(t.path)' lists \(items.count) teachers, more than the \(RunLimits.teachers) a run may average")
            }
            d.teachers = try items.map { resolver.resolve(try $0.string()) }
        }
        try parseLogitLoss(m, into: &d)
        d.features = try m.value("features").map(parseFeatures) ?? []
        try m.finish()
        return d
    }

    /// `loss`, `standardize_logits`, `dkd: {alpha, beta, warmup_epochs}`, `dist: {beta, gamma, tau}`.
    func parseLogitLoss(_ m: YAMLMapping, into d: inout DistillationConfig) throws {
        if let x = m.value("loss") {
            d.loss = LogitLoss(rawValue: try x.oneOf(LogitLoss.allCases.map(\.rawValue))) ?? .kd
        }
        if let x = m.value("standardize_logits") {
            d.standardizeLogits = try x.bool()
            if d.standardizeLogits && d.loss == .dist {
                throw x.error(
                    "'\(x.path)' applies to loss kd and dkd; DIST compares correlations, which standardising does not change"
                )
            }
        }
        if let x = m.value("dkd") {
            let k = try x.mapping()
            try k.expect(["alpha", "beta", "warmup_epochs"])
            d.dkd.alpha = try k.value("alpha")?.float("a number >= 0", where: { $0 >= 0 }) ?? d.dkd.alpha
            d.dkd.beta = try k.value("beta")?.float("a number >= 0", where: { $0 >= 0 }) ?? d.dkd.beta
            d.dkd.warmupEpochs =
                try k.value("warmup_epochs")?.int(
                    "an integer in 0...\(RunLimits.epochs)", where: { (0...RunLimits.epochs).contains($0) })
                ?? d.dkd.warmupEpochs
            try k.finish()
        }
        if let x = m.value("dist") {
            let k = try x.mapping()
            try k.expect(["beta", "gamma", "tau"])
            d.dist.beta = try k.value("beta")?.float("a number >= 0", where: { $0 >= 0 }) ?? d.dist.beta
            d.dist.gamma = try k.value("gamma")?.float("a number >= 0", where: { $0 >= 0 }) ?? d.dist.gamma
            d.dist.tau = try k.value("tau")?.float("a number > 0", where: { $0 > 0 }) ?? d.dist.tau
            try k.finish()
        }
        if d.mode == .selfDistillation, d.loss != .kd, let x = m.value("loss") {
            throw x.error("'\(x.path)' must be kd for mode self (PS-KD learns from its own predictions)")
        }
    }
}
