import Foundation
import NN

extension DistillJob {
    /// Teacher(s) -> student with the KD loss, and the hard-label baseline when configured.
    func standardDistillation() throws -> Comparison {
        let student = try config.requireStudent(for: "kd distill")
        if let path = config.teacherLogits, let logits = inputs.teacherLogits {
            return try distillFromLogitsFile(path, logits: logits, student: student)
        }
        let d = config.distillation
        let teachers = try standardTeachers()
        let caching =
            d.cacheViews.map { "cached for \($0) augmented view\($0 == 1 ? "" : "s")" }
            ?? (d.cacheTeacherLogits ? "cached once" : "computed every step")
        progress.message(
            "student: \(student.model.spec.name), loss \(d.loss.rawValue)\(d.standardizeLogits ? " on standardised logits" : ""), T=\(d.temperature), alpha=\(d.alpha) (soft-term weight), divergence \(d.divergence.rawValue), \(teachers.count == 1 ? "teacher outputs" : "\(teachers.count) teachers' averaged outputs") \(caching)"
        )
        let teaching = distillationObjective(
            from: teachers.map(\.loaded.teacher), labelSmoothing: student.training.labelSmoothing,
            phaseSeed: studentSeed)
        var objective = teaching.objective
        var extra: [String: Any] = ["teacher_outputs": teaching.outputs]
        if !d.features.isEmpty, let teacher = teachers.first {
            let features = try FeatureObjective(
                inner: objective, teacher: teacher.loaded.teacher.model, pairs: d.features, seed: studentSeed &+ 2)
            progress.message(
                "features: \(d.features.map { "\($0.name) x\($0.weight)" }.joined(separator: ", ")), teacher live, \(features.regressorParameterCount) regressor parameters (trained, not exported)"
            )
            extra["features"] = FeatureObjective.summary(
                d.features, regressorParameters: features.regressorParameterCount)
            objective = features
        }
        let distilled = try trainModel(
            student.model.spec, training: student.training, phase: "student",
            seed: studentSeed, objective: objective)
        var models = teachers.map {
            ComparedModel(name: $0.name, model: $0.loaded.checkpoint.model, input: $0.loaded.input)
        }
        models.append(ComparedModel(name: "student", model: distilled.model))
        if d.baseline { models.append(ComparedModel(name: "baseline", model: try trainBaseline(student).model)) }
        return try finish(models, extra: extra)
    }

    /// `teacher.logits`: the student distilled from a file of the teacher's logits (already
    /// gathered into training-split order), the baseline, and a comparison with no teacher row.
    func distillFromLogitsFile(_ path: String, logits: Tensor, student: RoleConfig) throws -> Comparison {
        let d = config.distillation
        let train = splits.train
        let accuracy = Double(logits.correctPredictions(train.labels)) / Double(max(train.count, 1))
        progress.message(
            "teacher: logits from \(path), \(train.count) training samples, training-split accuracy \(String(format: "%.2f%%", 100 * accuracy))"
        )
        progress.message(
            "student: \(student.model.spec.name), loss \(d.loss.rawValue)\(d.standardizeLogits ? " on standardised logits" : ""), T=\(d.temperature), alpha=\(d.alpha) (soft-term weight), divergence \(d.divergence.rawValue), teacher logits from the file"
        )
        let objective = objective(
            targets: TeacherTargets.cached(logits: logits, output: teacherOutput),
            labelSmoothing: student.training.labelSmoothing)
        let distilled = try trainModel(
            student.model.spec, training: student.training, phase: "student",
            seed: studentSeed, objective: objective)
        var models = [ComparedModel(name: "student", model: distilled.model)]
        if d.baseline { models.append(ComparedModel(name: "baseline", model: try trainBaseline(student).model)) }
        return try finish(models, extra: ["teacher_logits_train_accuracy": accuracy], teacherLogitsFile: path)
    }

    /// The config's teacher, or every checkpoint of `distillation.teachers` (averaged), as
    /// `RunInputs` loaded them.
    func standardTeachers() throws -> [(name: String, loaded: TeacherCheckpoint)] {
        let paths = config.distillation.teachers
        guard !paths.isEmpty else { return [("teacher", try teacher())] }
        if config.teacher != nil {
            progress.message("distillation.teachers is set: the teacher section is not used")
        }
        return paths.enumerated().compactMap { i, path in
            guard let loaded = inputs.teachers[path] else { return nil }
            progress.message("teacher \(i + 1): loaded \(path)")
            return (paths.count == 1 ? "teacher" : "teacher-\(i + 1)", loaded)
        }
    }

    /// The objective of `distillation.loss` over the outputs of `teachers`: cached over the
    /// training set, cached for `cache_views` augmented views of it (keyed as the phase of
    /// `phaseSeed` augments its epochs), or computed every step when `cache_teacher_logits` is
    /// off. KD compares softened outputs; DKD and DIST take the logits (averaged over several
    /// teachers). `outputs` says how, for summary.json: {"source": "live"}, or "cached" /
    /// "cached_views" with the views, megabytes and seconds of the one pass that filled the cache.
    func distillationObjective(from teachers: [TeacherModel], labelSmoothing: Float, phaseSeed: UInt64)
        -> (objective: Objective, outputs: [String: Any])
    {
        let d = config.distillation
        let output = teacherOutput
        let start = MonotonicClock.seconds
        let targets: TeacherTargets
        var views = 1
        if let count = d.cacheViews, let augment = config.data.augment {
            views = count
            targets = TeacherTargets.cachedViews(
                teachers: teachers, dataset: splits.train, output: output, views: views, augment: augment.cropFlip,
                key: AugmentKey(seed: config.seed, phase: phaseSeed, epoch: 0))
        } else if d.cacheTeacherLogits {
            targets = TeacherTargets.cached(teachers: teachers, dataset: splits.train, output: output)
        } else {
            return (
                objective(targets: .live(teachers: teachers, output: output), labelSmoothing: labelSmoothing),
                ["source": "live"]
            )
        }
        let seconds = MonotonicClock.seconds - start
        let megabytes = RunInputs.cacheMegabytes(
            views: views, samples: splits.train.count, classes: teachers[0].model.outputShape.reduce(1, *))
        if d.cacheViews != nil {
            progress.message(
                "teacher outputs of \(views) view\(views == 1 ? "" : "s") x \(splits.train.count) samples cached (\(megabytes) MB) in \(String(format: "%.1f", seconds)) s"
            )
        }
        let outputs: [String: Any] = [
            "source": d.cacheViews == nil ? "cached" : "cached_views", "views": views, "megabytes": megabytes,
            "seconds": seconds,
        ]
        return (objective(targets: targets, labelSmoothing: labelSmoothing), outputs)
    }

    /// What `distillation.loss` takes of the teacher: softened outputs (KD) or logits (DKD, DIST).
    var teacherOutput: TeacherOutput {
        let d = config.distillation
        switch d.loss {
        case .kd: return .softened(temperature: d.temperature, standardized: d.standardizeLogits)
        case .dkd: return .logits(standardized: d.standardizeLogits)
        case .dist: return .logits()
        }
    }

    /// The objective of `distillation.loss` over `targets`.
    func objective(targets: TeacherTargets, labelSmoothing: Float) -> Objective {
        let d = config.distillation
        switch d.loss {
        case .kd:
            return DistillationObjective(
                targets: targets, alpha: d.alpha, divergence: d.divergence, labelSmoothing: labelSmoothing)
        case .dkd:
            return DecoupledKDObjective(
                targets: targets, temperature: d.temperature, alpha: d.dkd.alpha, beta: d.dkd.beta,
                warmupEpochs: d.dkd.warmupEpochs, labelSmoothing: labelSmoothing)
        case .dist:
            return DISTObjective(
                targets: targets, tau: d.dist.tau, beta: d.dist.beta, gamma: d.dist.gamma,
                labelSmoothing: labelSmoothing)
        }
    }

    /// The student architecture trained on hard labels only, with the students' seed.
    func trainBaseline(_ student: RoleConfig) throws -> Checkpoint {
        try trainModel(
            student.model.spec, training: student.training, phase: "baseline", seed: studentSeed,
            objective: HardLabelObjective(labelSmoothing: student.training.labelSmoothing))
    }
}
