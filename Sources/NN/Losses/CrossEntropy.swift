import Foundation

/// Mean cross-entropy of logits against integer labels, as PyTorch's
/// `F.cross_entropy(logits, labels, label_smoothing=ε)` (reduction 'mean', no class weights).
///
/// Per sample with q = softmax(s): `(1 − ε)·(−log q_y) + (ε / K)·Σ_k (−log q_k)`, averaged over
/// the batch. `gradient` (if given) is resized to [B, K] and overwritten with dLoss/dLogits
/// `= (q − (1 − ε)·onehot(y) − ε/K) / B`.
///
/// - Parameters:
///   - logits: [B, K].
///   - labels: B class indices in 0..<K.
///   - labelSmoothing: ε in [0, 1].
///   - gradient: nil, or a tensor to receive dLoss/dLogits [B, K]; not `logits` itself.
/// - Returns: the loss.
public func crossEntropy(logits: Tensor, labels: [Int32], labelSmoothing: Float = 0, gradient: Tensor?) -> Float {
    withGradientStorage(gradient, shapedLike: logits) { g in
        Float(
            meanCrossEntropy(
                logits: logits, labels: labels, labelSmoothing: labelSmoothing,
                sink: g.map { GradientSink(base: $0, scale: 1, accumulate: false) }))
    }
}

/// The batch-mean cross-entropy; writes `sink.scale · dLoss/dLogits` into `sink` when given.
func meanCrossEntropy(logits: Tensor, labels: [Int32], labelSmoothing: Float, sink: GradientSink?) -> Double {
    let (batch, classes) = batchAndClasses(logits, "crossEntropy")
    precondition(labels.count == batch, "crossEntropy: \(labels.count) labels for a batch of \(batch)")
    precondition((0...1).contains(labelSmoothing), "crossEntropy: label smoothing \(labelSmoothing) outside [0, 1]")
    let epsilon = Double(labelSmoothing)
    let uniformWeight = epsilon / Double(classes)
    let inverseBatch = 1 / Double(batch)
    var total = 0.0
    logits.data.withUnsafeBufferPointer { x in
        for b in 0..<batch {
            let label = Int(labels[b])
            precondition(
                (0..<classes).contains(label), "crossEntropy: label \(label) of sample \(b) outside 0..<\(classes)")
            let row = x.baseAddress! + b * classes
            let stats = RowLogSoftmax(row, count: classes, temperature: 1)
            var sumLogQ = 0.0
            for k in 0..<classes { sumLogQ += stats.logProbability(row[k]) }
            total += -(1 - epsilon) * stats.logProbability(row[label]) - uniformWeight * sumLogQ
            guard let sink else { continue }
            for k in 0..<classes {
                let target = (k == label ? 1 - epsilon : 0) + uniformWeight
                sink.put(b * classes + k, (exp(stats.logProbability(row[k])) - target) * inverseBatch)
            }
        }
    }
    return total * inverseBatch
}
