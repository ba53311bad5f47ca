import NN

/// Decoupled KD (Zhao et al. 2022) as mdistiller's `DKD` distiller trains with it:
/// `CE(s, y) + min((epoch + 1) / warmup, 1) · DKD(s, t)` (`decoupledKDLoss`: (alpha·TCKD +
/// beta·NCKD)·T²), the cross-entropy at weight 1 (mdistiller's `CE_WEIGHT`), `epoch` 0-based so
/// the first epoch has factor 1/warmup as mdistiller's 1-based `epoch / warmup`. With
/// `standardized` (Sun et al. 2024) both sides' logits are standardised per sample first (the
/// targets must be `TeacherOutput.logits(standardized: true)`); the CE stays on the raw logits.
public final class DecoupledKDObjective: TeacherTargetsObjective {
    let targets: TeacherTargets
    let temperature: Float
    let alpha: Float
    let beta: Float
    let warmupEpochs: Int
    let labelSmoothing: Float
    private var warmup: Float = 1
    private let student: StudentLogitView
    private let batchTargets = Tensor(shape: [0])
    private let hardGradient = Tensor(shape: [0])

    /// `targets` must hold logits (`TeacherOutput.logits`).
    public init(
        targets: TeacherTargets, temperature: Float, alpha: Float, beta: Float, warmupEpochs: Int,
        labelSmoothing: Float = 0
    ) {
        precondition(targets.temperature == nil, "DecoupledKDObjective needs teacher logits")
        self.targets = targets
        self.temperature = temperature
        self.alpha = alpha
        self.beta = beta
        self.warmupEpochs = warmupEpochs
        self.labelSmoothing = labelSmoothing
        self.student = StudentLogitView(standardized: targets.output.standardized)
    }

    public func beginEpoch(_ epoch: Int, of epochs: Int) {
        targets.beginEpoch(epoch)
        warmup = warmupEpochs > 0 ? min(Float(epoch + 1) / Float(warmupEpochs), 1) : 1
    }

    public func loss(
        logits: Tensor, input: Tensor, labels: [Int32], mix: LabelMix?, indices: [Int], gradient: Tensor
    ) -> LossParts {
        precondition(mix == nil, "DecoupledKDObjective: DKD needs one target class per sample, not mixed labels")
        targets.fill(batchTargets, indices: indices, input: input)
        let value = decoupledKDLoss(
            studentLogits: student.logits(logits), teacherLogits: batchTargets, labels: labels,
            temperature: temperature,
            alpha: alpha, beta: beta, gradient: student.termGradient)
        student.backward(logits: logits, scale: warmup, into: gradient)
        let hard = addHardTerm(
            logits: logits, labels: labels, labelSmoothing: labelSmoothing, weight: 1, scratch: hardGradient,
            into: gradient)
        return LossParts(total: hard + warmup * value.total, soft: value.total, hard: hard)
    }

    public func nonFiniteCause() -> String? { nonFiniteTeacherCause(batchTargets) }

    public var acceptsLabelMix: Bool { false }
}
