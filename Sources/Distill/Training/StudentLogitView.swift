import NN

/// The student's logits as a distillation term sees them: as they are, or standardised per
/// sample (Sun et al. 2024). Holds the buffers of the standardised view and of the term's
/// gradient, reused from batch to batch (no allocation once they have the batch's shape).
final class StudentLogitView {
    let standardized: Bool
    private let view = Tensor(shape: [0])
    /// dTerm / dview, [B, K]: pass it to the term, then `backward`.
    let termGradient = Tensor(shape: [0])

    init(standardized: Bool) { self.standardized = standardized }

    /// The logits [B, K] the term compares (`logits` itself when not standardised).
    func logits(_ logits: Tensor) -> Tensor {
        guard standardized else { return logits }
        standardizeLogits(logits, into: view)
        return view
    }

    /// `gradient` = `scale` · dTerm/dlogits from `termGradient`, through the standardisation's
    /// Jacobian when there is one.
    func backward(logits: Tensor, scale: Float, into gradient: Tensor) {
        if standardized {
            standardizeLogitsBackward(logits: logits, outputGradient: termGradient, into: gradient)
        } else {
            gradient.copy(from: termGradient)
        }
        gradient.scale(by: scale)
    }
}

/// The hard-label cross-entropy of a batch, against its mixed labels when it was mixed.
func hardCrossEntropy(logits: Tensor, labels: [Int32], mix: LabelMix?, labelSmoothing: Float, gradient: Tensor)
    -> Float
{
    guard let mix else {
        return crossEntropy(logits: logits, labels: labels, labelSmoothing: labelSmoothing, gradient: gradient)
    }
    return mixedCrossEntropy(
        logits: logits, labels: labels, mix: mix, labelSmoothing: labelSmoothing, gradient: gradient)
}

/// The hard-label term every distillation objective adds: `weight · CE(s, y)` (with label
/// smoothing; mixed CE for a mixed batch), its gradient added into `gradient`. Returns CE.
func addHardTerm(
    logits: Tensor, labels: [Int32], mix: LabelMix? = nil, labelSmoothing: Float, weight: Float, scratch: Tensor,
    into gradient: Tensor
) -> Float {
    let ce = hardCrossEntropy(
        logits: logits, labels: labels, mix: mix, labelSmoothing: labelSmoothing, gradient: scratch)
    scratch.scale(by: weight)
    gradient.add(scratch)
    return ce
}

/// Why a distillation loss was not finite when the teacher's part of it is what broke.
func nonFiniteTeacherCause(_ targets: Tensor) -> String? {
    targets.data.allSatisfy(\.isFinite)
        ? nil : "the teacher's targets for this batch are not finite: its outputs overflow on these inputs"
}
