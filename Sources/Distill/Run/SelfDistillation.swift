import Foundation
import NN

extension DistillJob {
    /// Online self-distillation (PS-KD): the student learns from its own previous-epoch
    /// predictions, no separate teacher. Compared against the same model on hard labels.
    func onlineSelfDistillation() throws -> Comparison {
        let student = try config.requireStudent(for: "self-distillation")
        let d = config.distillation
        progress.message(
            "self-distillation (PS-KD): \(student.model.spec.name), self-target weight ramping to alpha=\(d.alpha)")
        let objective = ProgressiveSelfObjective(
            alpha: d.alpha, samples: splits.train.count, classes: splits.classCount)
        let trained = try trainModel(
            student.model.spec, training: student.training, phase: "self",
            seed: studentSeed, objective: objective)
        var models: [ComparedModel] = []
        if d.baseline { models.append(ComparedModel(name: "baseline", model: try trainBaseline(student).model)) }
        models.append(ComparedModel(name: "self", model: trained.model))
        return try finish(models)
    }
}
