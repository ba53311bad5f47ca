import Foundation

/// A learning rate per epoch, equal to the PyTorch scheduler named in each case when that
/// scheduler's `step()` is called once at the end of every epoch.
public enum LearningRateSchedule: Equatable, Sendable {
    /// The base rate throughout.
    case constant
    /// `StepLR(step_size: stepSize, gamma: gamma)`: base·gamma^⌊epoch / stepSize⌋.
    case step(stepSize: Int, gamma: Float)
    /// Cosine annealing to `minLearningRate` at epoch `totalEpochs`, after a linear warm-up of
    /// W = `warmupEpochs` epochs at base·(epoch + 1)/W (epoch W − 1 reaches the base rate):
    ///
    ///     SequentialLR(optimizer, milestones=[W], schedulers=[
    ///         LinearLR(optimizer, start_factor=1/W, end_factor=1, total_iters=W-1),
    ///         CosineAnnealingLR(optimizer, T_max=totalEpochs-W, eta_min=minLearningRate)])
    ///
    /// With W = 0 it is `CosineAnnealingLR(T_max=totalEpochs, eta_min=minLearningRate)` alone:
    /// min + (base − min)·(1 + cos(π·(epoch − W)/(totalEpochs − W)))/2 for epoch ≥ W.
    /// Epochs past `totalEpochs` stay at `minLearningRate` (PyTorch's cosine would rise again).
    case cosine(totalEpochs: Int, minLearningRate: Float, warmupEpochs: Int)

    /// The learning rate of 0-based `epoch` for a `base` rate.
    public func learningRate(base: Float, epoch: Int) -> Float {
        let base = Double(base)
        switch self {
        case .constant:
            return Float(base)
        case .step(let stepSize, let gamma):
            return Float(base * pow(Double(gamma), Double(epoch / max(stepSize, 1))))
        case .cosine(let totalEpochs, let minLearningRate, let warmupEpochs):
            if epoch < warmupEpochs { return Float(base * Double(epoch + 1) / Double(warmupEpochs)) }
            let span = totalEpochs - warmupEpochs
            guard span > 0 else { return Float(base) }
            let progress = Double(min(epoch - warmupEpochs, span)) / Double(span)
            let low = Double(minLearningRate)
            return Float(low + (base - low) * (1 + cos(Double.pi * progress)) / 2)
        }
    }
}
