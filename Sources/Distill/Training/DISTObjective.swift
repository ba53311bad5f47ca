import NN

/// DIST (Huang et al. 2022) as its reference training uses it: `CE(s, y) + DIST(s, t)`
/// (`distLoss`: tau²·(beta·inter + gamma·intra) on softmax(z / tau)), the cross-entropy at
/// weight 1. The intra-class term couples the samples of a batch, so a batch needs at least 2.
public final class DISTObjective: TeacherTargetsObjective {
    let targets: TeacherTargets
    let tau: Float
    let beta: Float
    let gamma: Float
    let labelSmoothing: Float
    private let scratch = DISTScratch()
    private let batchTargets = Tensor(shape: [0])
    private let hardGradient = Tensor(shape: [0])

    /// `targets` must hold raw logits (`TeacherOutput.logits()`).
    public init(targets: TeacherTargets, tau: Float, beta: Float, gamma: Float, labelSmoothing: Float = 0) {
        precondition(targets.output == .logits(), "DISTObjective needs raw teacher logits")
        self.targets = targets
        self.tau = tau
        self.beta = beta
        self.gamma = gamma
        self.labelSmoothing = labelSmoothing
    }

    public func loss(
        logits: Tensor, input: Tensor, labels: [Int32], mix: LabelMix?, indices: [Int], gradient: Tensor
    ) -> LossParts {
        targets.fill(batchTargets, indices: indices, input: input)
        let value = distLoss(
            studentLogits: logits, teacherLogits: batchTargets, tau: tau, beta: beta, gamma: gamma, scratch: scratch,
            gradient: gradient)
        let hard = addHardTerm(
            logits: logits, labels: labels, mix: mix, labelSmoothing: labelSmoothing, weight: 1, scratch: hardGradient,
            into: gradient)
        return LossParts(total: hard + value.total, soft: value.total, hard: hard)
    }

    public func nonFiniteCause() -> String? { nonFiniteTeacherCause(batchTargets) }

    public var needsTwoSamplesPerBatch: Bool { true }
}
