/// `distillation.features:` in a run config: the list is read with the rest of the section, and
/// checked against both model specs once they are loaded (`checkFeatures`).
extension RunConfigParser {
    /// The pairs as written (layers, loss, weight, regressor); shapes come later.
    func parseFeatures(_ v: YAMLValue) throws -> [FeaturePair] {
        let items = try v.sequence()
        guard items.count <= RunLimits.featurePairs else {
            throw v.error("'\(v.path)' lists \(items.count) pairs, more than \(RunLimits.featurePairs)")
        }
        return try items.map { item in
            let m = try item.mapping()
            try m.expect(["student", "teacher", "loss", "weight", "regressor"])
            let layer = "a layer index (an integer >= 0)"
            let loss = FeaturePair.Loss(
                rawValue: try m.required("loss").oneOf(FeaturePair.Loss.allCases.map(\.rawValue)))
            var pair = FeaturePair(
                student: try m.required("student").int(layer, where: { $0 >= 0 }),
                teacher: try m.required("teacher").int(layer, where: { $0 >= 0 }), loss: loss ?? .hint,
                weight: try m.value("weight")?.float("a number >= 0", where: { $0 >= 0 }) ?? 1)
            if let r = m.value("regressor") {
                guard pair.loss == .hint else {
                    throw r.error("'\(r.path)' applies to hint pairs; attention transfer compares maps without one")
                }
                pair.regressor =
                    FeaturePair.Regressor(rawValue: try r.oneOf(FeaturePair.Regressor.allCases.map(\.rawValue)))
                    ?? .none
            }
            try m.finish()
            return pair
        }
    }

    /// Fills in each pair's shapes from the student's and teacher's specs and refuses, in one
    /// line naming the pair, what cannot be trained: no teacher model, a layer the spec does not
    /// have, a student layer with nothing trainable up to it, shapes the loss cannot compare, and
    /// a cached teacher (features come from the live teacher's forward pass: with no
    /// `cache_teacher_logits` key, the teacher runs live).
    func checkFeatures(
        _ v: YAMLValue, distillValue: YAMLValue, _ d: inout DistillationConfig, teacher: RoleConfig?,
        student: RoleConfig?
    ) throws {
        guard d.mode == .standard, d.teachers.isEmpty, let teacher, let student else {
            throw v.error(
                "'\(v.path)' needs distillation.mode standard with a teacher model and a student (not a logits file, not 'distillation.teachers')"
            )
        }
        let m = try distillValue.mapping()
        if let c = m.value("cache_views") {
            throw c.error(
                "'\(c.path)' caches logits only; feature pairs need the teacher's features of each step's view")
        }
        if let c = m.value("cache_teacher_logits") {
            guard !d.cacheTeacherLogits else {
                throw c.error(
                    "'\(c.path)' caches logits only; feature pairs run the teacher live (set it false or remove it)")
            }
        }
        d.cacheTeacherLogits = false
        let s = try ModelBuilder.layerShapes(student.model.spec)
        let t = try ModelBuilder.layerShapes(teacher.model.spec)
        for (item, index) in zip(try v.sequence(), d.features.indices) {
            var pair = d.features[index]
            func fail(_ message: String) -> ConfigError {
                item.error("'\(item.path)' (\(pair.name)): \(message)")
            }
            guard pair.student < s.outputs.count else {
                throw fail("the student (\(student.model.spec.name)) has layers 0...\(s.outputs.count - 1)")
            }
            guard pair.teacher < t.outputs.count else {
                throw fail("the teacher (\(teacher.model.spec.name)) has layers 0...\(t.outputs.count - 1)")
            }
            guard let first = s.firstTrainable, pair.student >= first else {
                throw fail(
                    "no trainable student layer up to layer \(pair.student), so its gradient would train nothing")
            }
            pair.studentShape = s.outputs[pair.student]
            pair.teacherShape = t.outputs[pair.teacher]
            if let problem = pair.shapeProblem() {
                throw fail("student \(pair.studentShape) vs teacher \(pair.teacherShape): \(problem)")
            }
            d.features[index] = pair
        }
    }
}
