import NN

/// The `data.augment:` section of a run config and the checks that tie it to the models and
/// the teacher-output caches.
extension RunConfigParser {
    /// Refuses a translation or flip of models whose samples are not images, and a teacher
    /// cache (which holds the teacher's outputs for the clean images) with augmented inputs
    /// (`distillation` is nil when the config has no student to distill).
    func checkAugment(
        _ v: YAMLValue, _ augment: AugmentConfig?, models: [ModelSpec], distillation: DistillationConfig?
    ) throws {
        guard let augment, augment.crop != nil || augment.flip != nil || augment.mixes else { return }
        if let spec = models.first(where: { $0.input.count != 3 }) {
            throw v.error(
                "'\(v.path)' translates, flips and mixes images [C, H, W], but model \(spec.name) takes samples \(spec.input)"
            )
        }
        if augment.mixes, let d = distillation {
            let mixKey = "\(v.path).\(augment.mixup != nil ? "mixup" : "cutmix")"
            if d.mode == .selfDistillation {
                throw v.error(
                    "'\(mixKey)' mixes the labels, but 'distillation.mode: self' (PS-KD) builds each sample's target from its one label and its own past prediction"
                )
            }
            if d.loss == .dkd {
                throw v.error(
                    "'\(mixKey)' mixes the labels, but 'distillation.loss: dkd' needs one target class per sample")
            }
        }
        if let d = distillation, d.mode != .selfDistillation, d.cacheTeacherLogits, d.cacheViews == nil {
            throw ConfigError(
                file: file, line: v.keyLine, key: "distillation.cache_teacher_logits",
                message:
                    "'distillation.cache_teacher_logits' caches the teacher's outputs for the clean images, but 'data.augment' changes them every epoch; set 'cache_teacher_logits: false' so the teacher sees the student's views, or 'cache_views: K' to cache K augmented views"
            )
        }
    }

    /// Refuses `distillation.cache_views` without an augmentation to cache views of, with
    /// mixup or cutmix (a mixed image depends on its batch partner), with
    /// `cache_teacher_logits: false` (which asks for the teacher live), and in the
    /// self-distillation mode (which has no teacher).
    func checkCacheViews(
        _ v: YAMLValue, distillValue: YAMLValue?, augment: AugmentConfig?, distillation: DistillationConfig
    ) throws {
        guard let augment, augment.crop != nil || augment.flip != nil else {
            throw v.error(
                "'\(v.path)' caches the teacher's outputs for augmented views, but 'data.augment' sets no crop or flip")
        }
        if distillation.mode == .selfDistillation {
            throw v.error("'\(v.path)' caches a teacher's outputs; the self-distillation mode has no teacher")
        }
        if augment.mixes {
            throw v.error(
                "'\(v.path)' caches the teacher's outputs for cropped and flipped views, but 'data.augment' also mixes pairs of samples (mixup, cutmix), whose partners change with the batch; mixing is live-only ('cache_teacher_logits: false')"
            )
        }
        if let live = distillValue.flatMap({ try? $0.mapping().value("cache_teacher_logits") }),
            !distillation.cacheTeacherLogits
        {
            throw live.error(
                "'\(live.path)' is false (the teacher run on every batch), but 'distillation.cache_views' caches its outputs; set one of them"
            )
        }
    }

    /// `{crop: {padding: P, p: ...}, flip: {p: ...}, mixup: {alpha: A, p: ...}, cutmix: {alpha: A, p: ...}}`,
    /// each optional.
    func parseAugment(_ v: YAMLValue) throws -> AugmentConfig {
        let m = try v.mapping()
        try m.expect(["crop", "flip", "mixup", "cutmix"])
        let probability = "a probability in [0, 1]"
        var a = AugmentConfig()
        if let cv = m.value("crop") {
            let c = try cv.mapping()
            try c.expect(["padding", "p"])
            let padding = try c.required("padding").int(
                "an integer in 0...\(RunLimits.augmentPadding)", where: { (0...RunLimits.augmentPadding).contains($0) })
            a.crop = AugmentConfig.Crop(
                padding: padding, p: try c.value("p")?.float(probability, where: { (0...1).contains($0) }) ?? 1)
            try c.finish()
        }
        if let fv = m.value("flip") {
            let f = try fv.mapping()
            try f.expect(["p"])
            a.flip = try f.required("p").float(probability, where: { (0...1).contains($0) })
            try f.finish()
        }
        for name in ["mixup", "cutmix"] {
            guard let mv = m.value(name) else { continue }
            let mm = try mv.mapping()
            try mm.expect(["alpha", "p"])
            let alpha = try mm.required("alpha").float(
                "a number in (0, \(Int(RunLimits.mixAlpha))]", where: { $0 > 0 && $0 <= Double(RunLimits.mixAlpha) })
            let p = try mm.value("p")?.float(probability, where: { (0...1).contains($0) }) ?? 1
            try mm.finish()
            let mode = MixPairs.Mode(alpha: alpha, p: p)
            if name == "mixup" { a.mixup = mode } else { a.cutmix = mode }
        }
        try m.finish()
        return a
    }
}
