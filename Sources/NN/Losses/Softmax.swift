import Foundation

/// Row-wise softmax of `logits / temperature`: [B, K] -> `into` [B, K] (resized, overwritten).
///
/// Stable for any logits (log-sum-exp around the row maximum). `into` must not be `logits`.
public func softmax(_ logits: Tensor, temperature: Float = 1, into output: Tensor) {
    rowwiseLogSoftmax(logits, temperature: temperature, into: output) { exp($0) }
}

/// Row-wise log-softmax of `logits / temperature`: [B, K] -> `into` [B, K] (resized, overwritten).
///
/// Computed as `x / T - logsumexp(x / T)`, never as `log(softmax)`, so it stays finite where
/// the probability underflows. `into` must not be `logits`.
public func logSoftmax(_ logits: Tensor, temperature: Float = 1, into output: Tensor) {
    rowwiseLogSoftmax(logits, temperature: temperature, into: output) { $0 }
}

/// Soft targets of a teacher: softmax(teacherLogits / T), [B, K] -> `into` [B, K]. The
/// probability tensor `distillationLoss` and `divergence` take as their target.
public func softTargets(teacherLogits: Tensor, temperature: Float, into output: Tensor) {
    softmax(teacherLogits, temperature: temperature, into: output)
}

/// Writes `transform(log q_k)` for every element, q = softmax(logits / T) row by row.
private func rowwiseLogSoftmax(
    _ logits: Tensor, temperature: Float, into output: Tensor, _ transform: (Double) -> Double
) {
    let (batch, classes) = batchAndClasses(logits, "softmax")
    precondition(output !== logits, "softmax: `into` must not be the logits tensor")
    precondition(temperature > 0, "softmax: temperature \(temperature) must be positive")
    output.resize(to: logits.shape)
    logits.data.withUnsafeBufferPointer { x in
        output.data.withUnsafeMutableBufferPointer { y in
            for b in 0..<batch {
                let row = x.baseAddress! + b * classes
                let stats = RowLogSoftmax(row, count: classes, temperature: temperature)
                for k in 0..<classes { y[b * classes + k] = Float(transform(stats.logProbability(row[k]))) }
            }
        }
    }
}
