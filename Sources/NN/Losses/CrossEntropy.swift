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

/// The hard labels of a mixed batch (mixup, cutmix): sample b's target is
/// `lambdas[b]·onehot(labels[b]) + (1 − lambdas[b])·onehot(partnerLabels[b])`.
public struct LabelMix: Sendable {
    /// B class indices: each sample's partner's label.
    public var partnerLabels: [Int32]
    /// B weights of the samples' own labels, in [0, 1].
    public var lambdas: [Float]

    public init(partnerLabels: [Int32], lambdas: [Float]) {
        precondition(
            partnerLabels.count == lambdas.count, "LabelMix: \(partnerLabels.count) labels, \(lambdas.count) weights")
        (self.partnerLabels, self.lambdas) = (partnerLabels, lambdas)
    }
}

/// Mean cross-entropy of logits against mixed hard labels (mixup, cutmix), as PyTorch's
/// `lam * F.cross_entropy(s, y, label_smoothing=ε, reduction='none') + (1 - lam) *
/// F.cross_entropy(s, y_partner, label_smoothing=ε, reduction='none')`, then `.mean()`
/// (s [B, K], y and y_partner [B] int64, lam [B]; timm's mixup targets with
/// `SoftTargetCrossEntropy` give the same with smoothing folded into the targets).
///
/// Per sample with q = softmax(s) and lam = `mix.lambdas[b]`:
/// `(1 − ε)·(−lam·log q_y − (1 − lam)·log q_y') + (ε / K)·Σ_k (−log q_k)`, averaged over the
/// batch. `gradient` (if given) is resized to [B, K] and overwritten with dLoss/dLogits
/// `= (q − (1 − ε)·(lam·onehot(y) + (1 − lam)·onehot(y')) − ε/K) / B`. With every lam 1 it is
/// `crossEntropy` exactly.
///
/// - Parameters:
///   - logits: [B, K].
///   - labels: B class indices in 0..<K (each sample's own).
///   - mix: the partners' labels (in 0..<K) and the weights, B each.
///   - labelSmoothing: ε in [0, 1].
///   - gradient: nil, or a tensor to receive dLoss/dLogits [B, K]; not `logits` itself.
/// - Returns: the loss.
public func mixedCrossEntropy(
    logits: Tensor, labels: [Int32], mix: LabelMix, labelSmoothing: Float = 0, gradient: Tensor?
) -> Float {
    withGradientStorage(gradient, shapedLike: logits) { g in
        Float(
            meanCrossEntropy(
                logits: logits, labels: labels, mix: mix, labelSmoothing: labelSmoothing,
                sink: g.map { GradientSink(base: $0, scale: 1, accumulate: false) }))
    }
}

/// The batch-mean cross-entropy, against mixed labels when `mix` is given; writes
/// `sink.scale · dLoss/dLogits` into `sink` when given.
func meanCrossEntropy(
    logits: Tensor, labels: [Int32], mix: LabelMix? = nil, labelSmoothing: Float, sink: GradientSink?
) -> Double {
    let (batch, classes) = batchAndClasses(logits, "crossEntropy")
    precondition(labels.count == batch, "crossEntropy: \(labels.count) labels for a batch of \(batch)")
    precondition(mix.map { $0.lambdas.count == batch } ?? true, "crossEntropy: label mix of another batch size")
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
            let (partner, lambda) = mix.map { (Int($0.partnerLabels[b]), Double($0.lambdas[b])) } ?? (label, 1)
            precondition(
                (0..<classes).contains(partner),
                "crossEntropy: partner label \(partner) of sample \(b) outside 0..<\(classes)")
            let stats = RowLogSoftmax(row, count: classes, temperature: 1)
            var sumLogQ = 0.0
            for k in 0..<classes { sumLogQ += stats.logProbability(row[k]) }
            let labelLogQ =
                lambda == 1
                ? stats.logProbability(row[label])
                : lambda * stats.logProbability(row[label]) + (1 - lambda) * stats.logProbability(row[partner])
            total += -(1 - epsilon) * labelLogQ - uniformWeight * sumLogQ
            guard let sink else { continue }
            for k in 0..<classes {
                let own = k == label ? lambda : 0
                let other = k == partner ? 1 - lambda : 0
                let target = (1 - epsilon) * (own + other) + uniformWeight
                sink.put(b * classes + k, (exp(stats.logProbability(row[k])) - target) * inverseBatch)
            }
        }
    }
    return total * inverseBatch
}
