import Foundation
import NN

extension DistillJob {
    /// Teacher(s) -> student with the KD loss, and the hard-label baseline when configured.
    func standardDistillation() throws -> Comparison {
        let student = try config.requireStudent(for: "kd distill")
        let d = config.distillation
        let teachers = try standardTeachers()
        let cache = d.cacheTeacherLogits
        progress.message(
            "student: \(student.model.spec.name), T=\(d.temperature), alpha=\(d.alpha) (soft-term weight), divergence \(d.divergence.rawValue), \(teachers.count == 1 ? "teacher outputs" : "\(teachers.count) teachers' averaged outputs") \(cache ? "cached once" : "computed every step")"
        )
        let objective = DistillationObjective(
            targets: teacherTargets(from: teachers.map(\.loaded.teacher)), alpha: d.alpha, divergence: d.divergence,
            labelSmoothing: student.training.labelSmoothing)
        let distilled = try trainModel(
            student.model.spec, training: student.training, phase: "student",
            seed: studentSeed, objective: objective)
        var models = teachers.map {
            ComparedModel(name: $0.name, model: $0.loaded.checkpoint.model, input: $0.loaded.input)
        }
        models.append(ComparedModel(name: "student", model: distilled.model))
        if d.baseline { models.append(ComparedModel(name: "baseline", model: try trainBaseline(student).model)) }
        return try finish(models)
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

    /// Soft targets of `teachers` at the run's temperature: cached over the training set, or
    /// computed every step when `cache_teacher_logits` is off.
    func teacherTargets(from teachers: [TeacherModel]) -> TeacherTargets {
        let d = config.distillation
        return d.cacheTeacherLogits
            ? TeacherTargets.cached(teachers: teachers, dataset: splits.train, temperature: d.temperature)
            : TeacherTargets.live(teachers: teachers, temperature: d.temperature)
    }

    /// The student architecture trained on hard labels only, with the students' seed.
    func trainBaseline(_ student: RoleConfig) throws -> Checkpoint {
        try trainModel(
            student.model.spec, training: student.training, phase: "baseline", seed: studentSeed,
            objective: HardLabelObjective(labelSmoothing: student.training.labelSmoothing))
    }
}
