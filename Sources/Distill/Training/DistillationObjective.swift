import NN

/// Knowledge distillation (Hinton et al. 2015):
/// `alpha * T^2 * D(p_teacher || p_student) + (1 - alpha) * CE(student, labels)`.
///
/// With `standardized` (Sun et al. 2024), the soft term compares softmax(z'(s) / T) with the
/// teacher's softmax(z'(t) / T), z' the per-sample standardised logits (the targets must be
/// made that way: `TeacherOutput.softened(temperature:standardized: true)`); the hard term stays
/// on the raw logits, as the paper's code has it.
public final class DistillationObjective: TeacherTargetsObjective {
    let targets: TeacherTargets
    let alpha: Float
    let divergence: Divergence
    let labelSmoothing: Float
    private let temperature: Float
    private let student: StudentLogitView
    private let batchTargets = Tensor(shape: [0])
    private let hardGradient = Tensor(shape: [0])

    /// The soft term compares the student at the targets' temperature with them; `targets` must
    /// hold softened outputs, standardised exactly when the student's logits are.
    public init(targets: TeacherTargets, alpha: Float, divergence: Divergence, labelSmoothing: Float = 0) {
        precondition(targets.temperature != nil, "DistillationObjective needs softened teacher targets")
        self.targets = targets
        self.alpha = alpha
        self.divergence = divergence
        self.labelSmoothing = labelSmoothing
        self.temperature = targets.temperature ?? 1
        self.student = StudentLogitView(standardized: targets.output.standardized)
    }

    public func loss(
        logits: Tensor, input: Tensor, labels: [Int32], mix: LabelMix?, indices: [Int], gradient: Tensor
    ) -> LossParts {
        targets.fill(batchTargets, indices: indices, input: input)
        guard student.standardized else {
            let value = distillationLoss(
                studentLogits: logits, teacherTarget: batchTargets, labels: labels, temperature: temperature,
                alpha: alpha, divergence: divergence, labelSmoothing: labelSmoothing, mix: mix,
                gradient: gradient)
            return LossParts(total: value.total, soft: value.soft, hard: value.hard)
        }
        let soft = NN.divergence(
            divergence, target: batchTargets, studentLogits: student.logits(logits), temperature: temperature,
            gradient: student.termGradient)
        student.backward(logits: logits, scale: alpha * temperature * temperature, into: gradient)
        let hard = addHardTerm(
            logits: logits, labels: labels, mix: mix, labelSmoothing: labelSmoothing, weight: 1 - alpha,
            scratch: hardGradient,
            into: gradient)
        return LossParts(total: alpha * temperature * temperature * soft + (1 - alpha) * hard, soft: soft, hard: hard)
    }

    public func nonFiniteCause() -> String? { nonFiniteTeacherCause(batchTargets) }
}
