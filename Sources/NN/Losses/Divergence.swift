import Foundation

/// A divergence between a target distribution p (teacher soft targets) and the student's
/// softened distribution q = softmax(s / T), summed over the K classes of each sample:
///
/// - `kl`: KL(p‖q) = Σ_k p_k (log p_k − log q_k), forward KL as in Hinton et al.; PyTorch's
///   `F.kl_div(F.log_softmax(s / T), p, reduction='batchmean')`. Mass-covering.
/// - `reverseKL` ("reverse_kl"): KL(q‖p) = Σ_k q_k (log q_k − log p_k). Mode-seeking.
/// - `js`: Jensen–Shannon, ½ KL(p‖m) + ½ KL(q‖m) with m = (p + q) / 2; symmetric, ≤ log 2.
///
/// Terms with p_k = 0 contribute 0 (0·log 0 = 0). Where a log p_k is still needed (reverse KL),
/// p_k is clamped to `Float.leastNormalMagnitude` (≈ 1.2e-38, log ≈ −87.3) so it stays finite.
public enum Divergence: String, CaseIterable, Sendable {
    case kl
    case reverseKL = "reverse_kl"
    case js
}

/// The batch-mean divergence D(p, q) of `kind` between `target` p and q = softmax(studentLogits / T):
/// summed over classes, averaged over the batch (PyTorch's `reduction='batchmean'`), NOT
/// multiplied by T² (`distillationLoss` does that).
///
/// `gradient` (if given) is resized to [B, K] and overwritten with dD/ds, the derivative with
/// respect to the student logits s themselves (the 1/T of the chain rule included). For `kl`
/// it is `(q − p) / (T·B)`.
///
/// - Parameters:
///   - target: p, [B, K], rows of probabilities (non-negative, summing to 1).
///   - studentLogits: s, [B, K].
///   - temperature: T > 0.
///   - gradient: nil, or a tensor to receive dD/ds [B, K]; not `studentLogits` itself.
/// - Returns: D.
public func divergence(
    _ kind: Divergence, target: Tensor, studentLogits: Tensor, temperature: Float, gradient: Tensor?
) -> Float {
    precondition(gradient !== target, "divergence: the gradient tensor must not be the target")
    return withGradientStorage(gradient, shapedLike: studentLogits) { g in
        Float(
            meanDivergence(
                kind, target: target, studentLogits: studentLogits, temperature: temperature,
                sink: g.map { GradientSink(base: $0, scale: 1, accumulate: false) }))
    }
}

/// The batch-mean divergence; writes `sink.scale · dD/ds` into `sink` when given.
func meanDivergence(
    _ kind: Divergence, target: Tensor, studentLogits: Tensor, temperature: Float, sink: GradientSink?
) -> Double {
    let (batch, classes) = batchAndClasses(studentLogits, "divergence")
    precondition(
        target.shape == studentLogits.shape,
        "divergence: target shape \(target.shape) differs from student logits \(studentLogits.shape)")
    precondition(temperature > 0, "divergence: temperature \(temperature) must be positive")
    let chain = 1 / (Double(temperature) * Double(batch))
    var total = 0.0
    target.data.withUnsafeBufferPointer { pAll in
        studentLogits.data.withUnsafeBufferPointer { sAll in
            for b in 0..<batch {
                let p = pAll.baseAddress! + b * classes
                let s = sAll.baseAddress! + b * classes
                let stats = RowLogSoftmax(s, count: classes, temperature: temperature)
                let row = RowDivergence(kind, p: p, s: s, classes: classes, stats: stats)
                total += row.value
                guard let sink else { continue }
                for k in 0..<classes { sink.put(b * classes + k, chain * row.gradient(k)) }
            }
        }
    }
    return total / Double(batch)
}

/// One sample's divergence and its derivative with respect to z = s / T.
///
/// KL: dD/dz_k = q_k·Σp − p_k. Reverse KL and JS use the softmax-Jacobian form
/// dD/dz_k = q_k (g_k − Σ_j q_j g_j) with g = dD/dq up to a constant the Jacobian cancels:
/// g_k = log q_k − log p_k for reverse KL and g_k = ½ (log q_k − log m_k) for JS.
private struct RowDivergence {
    let kind: Divergence
    let p: UnsafePointer<Float>
    let s: UnsafePointer<Float>
    let stats: RowLogSoftmax
    /// D for this sample.
    private(set) var value = 0.0
    /// Σ_k p_k for KL (1 up to rounding); Σ_j q_j g_j for reverse KL and JS.
    private(set) var offset = 0.0

    init(_ kind: Divergence, p: UnsafePointer<Float>, s: UnsafePointer<Float>, classes: Int, stats: RowLogSoftmax) {
        self.kind = kind
        self.p = p
        self.s = s
        self.stats = stats
        for k in 0..<classes {
            let pk = Double(p[k])
            let logQ = stats.logProbability(s[k])
            let qk = exp(logQ)
            switch kind {
            case .kl:
                if pk > 0 { value += pk * (log(pk) - logQ) }
                offset += pk
            case .reverseKL:
                let g = logQ - safeLog(pk)
                value += qk * g
                offset += qk * g
            case .js:
                let logM = logMidpoint(pk, logQ: logQ)
                let pTerm = pk > 0 ? pk * (log(pk) - logM) : 0
                value += 0.5 * (pTerm + qk * (logQ - logM))
                offset += qk * 0.5 * (logQ - logM)
            }
        }
    }

    /// dD/dz_k.
    func gradient(_ k: Int) -> Double {
        let pk = Double(p[k])
        let logQ = stats.logProbability(s[k])
        let qk = exp(logQ)
        switch kind {
        case .kl: return qk * offset - pk
        case .reverseKL: return qk * (logQ - safeLog(pk) - offset)
        case .js: return qk * (0.5 * (logQ - logMidpoint(pk, logQ: logQ)) - offset)
        }
    }
}

/// log m = log((p + q) / 2), in log space so it stays finite when q underflows.
private func logMidpoint(_ p: Double, logQ: Double) -> Double {
    logAddExp(p > 0 ? log(p) : -.infinity, logQ) - log(2.0)
}

/// log p with p clamped at the smallest normal Float, finite for p = 0.
private func safeLog(_ p: Double) -> Double { log(max(p, Double(Float.leastNormalMagnitude))) }
