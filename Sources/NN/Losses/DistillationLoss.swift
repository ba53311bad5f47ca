/// The parts of one knowledge-distillation loss evaluation.
public struct DistillationLossValue: Equatable, Sendable {
    /// alpha·T²·soft + (1 − alpha)·hard: what is minimised.
    public var total: Float
    /// The divergence D(p, softmax(s / T)), batch mean, NOT scaled by T².
    public var soft: Float
    /// The cross-entropy with the true labels, batch mean.
    public var hard: Float

    public init(total: Float, soft: Float, hard: Float) {
        self.total = total
        self.soft = soft
        self.hard = hard
    }
}

/// The knowledge-distillation loss of Hinton et al. (2015):
/// `L = alpha·T²·D(p ‖ softmax(s / T)) + (1 − alpha)·CE(s, y)`.
///
/// **alpha weighs the SOFT term** (the teacher): alpha = 1 is pure distillation, alpha = 0 plain
/// training on the labels. The T² keeps the soft gradient's scale independent of T. The
/// divergence is batch-mean (`reduction='batchmean'`); CE is PyTorch's `F.cross_entropy` with
/// `labelSmoothing`. For `.kl` the gradient is
/// `dL/ds = alpha·T·(softmax(s/T) − p)/B + (1 − alpha)·(softmax(s) − onehot(y))/B`.
///
/// - Parameters:
///   - studentLogits: s, [B, K].
///   - teacherTarget: p, [B, K] probabilities: `softTargets(teacherLogits:temperature:into:)`, an
///     average of several teachers' soft targets, or a self-distillation target.
///   - labels: B class indices in 0..<K.
///   - temperature: T > 0, used for the student's softmax in the soft term (p is given).
///   - alpha: weight of the soft term, in [0, 1].
///   - divergence: which D.
///   - labelSmoothing: ε of the hard term.
///   - mix: mixed hard labels (mixup, cutmix): the hard term is then `mixedCrossEntropy`.
///   - gradient: nil, or a tensor resized to [B, K] and overwritten with dL/ds; not `studentLogits`.
public func distillationLoss(
    studentLogits: Tensor, teacherTarget: Tensor, labels: [Int32], temperature: Float, alpha: Float,
    divergence kind: Divergence = .kl, labelSmoothing: Float = 0, mix: LabelMix? = nil, gradient: Tensor?
) -> DistillationLossValue {
    precondition(gradient !== teacherTarget, "distillationLoss: the gradient tensor must not be the target")
    precondition((0...1).contains(alpha), "distillationLoss: alpha \(alpha) outside [0, 1]")
    let softWeight = Double(alpha) * Double(temperature) * Double(temperature)
    let hardWeight = 1 - Double(alpha)
    let (soft, hard) = withGradientStorage(gradient, shapedLike: studentLogits) { g in
        let soft = meanDivergence(
            kind, target: teacherTarget, studentLogits: studentLogits, temperature: temperature,
            sink: g.map { GradientSink(base: $0, scale: softWeight, accumulate: false) })
        let hard = meanCrossEntropy(
            logits: studentLogits, labels: labels, mix: mix, labelSmoothing: labelSmoothing,
            sink: g.map { GradientSink(base: $0, scale: hardWeight, accumulate: true) })
        return (soft, hard)
    }
    return DistillationLossValue(
        total: Float(softWeight * soft + hardWeight * hard), soft: Float(soft), hard: Float(hard))
}
