import Foundation

/// Log-softmax of one row of logits at a temperature, kept as two numbers so no row buffer is
/// needed: `log q_k = x_k / T - logSumExp`, where `logSumExp = log Σ_j exp(x_j / T)`.
///
/// Computed in Double around the row maximum (the log-sum-exp trick), so logits of ±1e4 at
/// T = 1 give finite log-probabilities; only `exp` of a log-probability can underflow to 0.
struct RowLogSoftmax {
    let temperature: Double
    let logSumExp: Double

    /// Scans `row` (K logits) once for the maximum and once for the sum.
    init(_ row: UnsafePointer<Float>, count: Int, temperature: Float) {
        let t = Double(temperature)
        var maximum = -Double.infinity
        for k in 0..<count { maximum = max(maximum, Double(row[k]) / t) }
        var sum = 0.0
        for k in 0..<count { sum += exp(Double(row[k]) / t - maximum) }
        self.temperature = t
        self.logSumExp = maximum + log(sum)
    }

    /// log q_k for the logit `x` of this row.
    @inline(__always)
    func logProbability(_ x: Float) -> Double { Double(x) / temperature - logSumExp }
}

/// log(exp(a) + exp(b)) without overflow; either argument may be -infinity (a zero probability).
@inline(__always)
func logAddExp(_ a: Double, _ b: Double) -> Double {
    let high = max(a, b)
    if high == -.infinity { return -.infinity }
    return high + log1p(exp(min(a, b) - high))
}

/// The (B, K) of a [B, K] logits tensor; anything else is a programming error.
func batchAndClasses(_ logits: Tensor, _ label: String) -> (batch: Int, classes: Int) {
    precondition(logits.shape.count == 2, "\(label): expected [B, K] logits, got shape \(logits.shape)")
    return (logits.shape[0], logits.shape[1])
}

/// Where a loss writes `scale * dLoss/dLogits` for element `index` of the [B, K] gradient:
/// overwriting (each public loss) or adding (the second term of the distillation loss).
struct GradientSink {
    let base: UnsafeMutablePointer<Float>
    let scale: Double
    let accumulate: Bool

    @inline(__always)
    func put(_ index: Int, _ value: Double) {
        let v = Float(scale * value)
        base[index] = accumulate ? base[index] + v : v
    }
}

/// Runs `body` with a pointer to `gradient`'s elements after resizing it to `logits`' shape,
/// or with nil when no gradient is wanted. `gradient` must not be `logits` itself.
func withGradientStorage<R>(
    _ gradient: Tensor?, shapedLike logits: Tensor, _ body: (UnsafeMutablePointer<Float>?) -> R
) -> R {
    guard let gradient else { return body(nil) }
    precondition(gradient !== logits, "the gradient tensor must not be the logits tensor")
    gradient.resize(to: logits.shape)
    return gradient.data.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
