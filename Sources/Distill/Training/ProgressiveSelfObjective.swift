import NN

/// Progressive self-knowledge distillation (PS-KD, Kim et al. 2021): the model's own predictions
/// from the previous epoch are its soft targets.
///
/// Target for sample i at epoch t (0-based, of E epochs):
/// `(1 - a_t) * onehot(y_i) + a_t * p_prev(i)` with `a_t = alpha * (t + 1) / E`, ramping linearly
/// to `alpha` at the last epoch; `p_prev(i)` is softmax of the logits the model produced for
/// sample i the last time it saw it (one-hot before its first visit). Cross-entropy with that
/// target equals `a_t * KL(p_prev || q) + (1 - a_t) * CE(s, y)` up to the constant entropy of
/// p_prev, so the loss is the KD loss at T = 1 with alpha = a_t (same gradient).
public final class ProgressiveSelfObjective: Objective {
    /// Final weight of the self-targets.
    public let alpha: Float
    /// Previous predictions, one row per training sample: [N, K].
    public let predictions: Tensor
    /// 1 where a row of `predictions` has been written yet, else 0: [N].
    private let seen: Tensor
    public private(set) var currentAlpha: Float = 0
    private let batchTargets = Tensor(shape: [0])
    private let probabilities = Tensor(shape: [0])

    /// `samples` training samples of `classes` classes.
    public init(alpha: Float, samples: Int, classes: Int) {
        self.alpha = alpha
        predictions = Tensor(shape: [samples, classes])
        seen = Tensor(shape: [samples])
    }

    /// a_t for 0-based `epoch` of `epochs`.
    public static func weight(alpha: Float, epoch: Int, epochs: Int) -> Float {
        alpha * Float(epoch + 1) / Float(max(epochs, 1))
    }

    public func beginEpoch(_ epoch: Int, of epochs: Int) {
        currentAlpha = Self.weight(alpha: alpha, epoch: epoch, epochs: epochs)
    }

    public var resumableState: [String: Tensor] { ["predictions": predictions, "seen": seen] }

    public func restoreState(_ tensors: [String: Tensor]) throws {
        for (name, expected) in resumableState {
            guard let saved = tensors[name] else { throw ObjectiveStateError(tensor: name, "is missing") }
            guard saved.shape == expected.shape else {
                throw ObjectiveStateError(tensor: name, "is \(saved.shape), the run has \(expected.shape)")
            }
        }
        if let extra = tensors.keys.sorted().first(where: { resumableState[$0] == nil }) {
            throw ObjectiveStateError(tensor: extra, "is not state of self-distillation")
        }
        guard tensors["predictions"]!.data.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else {
            throw ObjectiveStateError(tensor: "predictions", "holds values that are not probabilities")
        }
        predictions.copy(from: tensors["predictions"]!)
        seen.copy(from: tensors["seen"]!)
    }

    public func loss(
        logits: Tensor, input: Tensor, labels: [Int32], mix: LabelMix?, indices: [Int], gradient: Tensor
    ) -> LossParts {
        precondition(mix == nil, "ProgressiveSelfObjective: PS-KD builds its targets from one label per sample")
        let k = predictions.featuresPerItem
        batchTargets.resize(to: [indices.count, k])
        batchTargets.fill(0)
        for (row, index) in indices.enumerated() {
            if seen.data[index] != 0 {
                for j in 0..<k { batchTargets.data[row * k + j] = predictions.data[index * k + j] }
            } else {
                batchTargets.data[row * k + Int(labels[row])] = 1
            }
        }
        let value = distillationLoss(
            studentLogits: logits, teacherTarget: batchTargets, labels: labels, temperature: 1,
            alpha: currentAlpha, divergence: .kl, gradient: gradient)
        softmax(logits, into: probabilities)
        for (row, index) in indices.enumerated() {
            for j in 0..<k { predictions.data[index * k + j] = probabilities.data[row * k + j] }
            seen.data[index] = 1
        }
        return LossParts(total: value.total, soft: value.soft, hard: value.hard)
    }

    public var acceptsLabelMix: Bool { false }
}
