/// A training phase that cannot start, or that stopped because its numbers stopped being finite.
/// Each case renders as one line naming the phase and, where it helps, what to change.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// BatchNorm in training, or a loss over the batch (DIST), needs at least two samples; the
    /// training set has `samples`. `reason` says which ("the model has BatchNorm").
    case needsTwoSamples(phase: String, reason: String, samples: Int)
    /// The same needs batches of at least two samples.
    case needsBatchOfTwo(phase: String, reason: String, batchSize: Int)
    /// The loss of a batch was NaN or infinite (nothing of that epoch is saved).
    /// `cause` says why when the objective can tell; else a too-high learning rate is the usual one.
    case nonFiniteLoss(phase: String, loss: Float, epoch: Int, batch: Int, learningRate: Float, cause: String?)
    /// A weight became NaN or infinite (checked at epoch ends and before saving a stop state).
    case nonFiniteWeight(phase: String, tensor: String, epoch: Int, batch: Int)

    public var description: String {
        switch self {
        case .needsTwoSamples(let phase, let reason, let samples):
            return
                "\(phase): \(reason), which needs at least 2 training samples per batch; the training set has \(samples)"
        case .needsBatchOfTwo(let phase, let reason, let batchSize):
            return "\(phase): \(reason), which needs batch_size >= 2 in training (got \(batchSize))"
        case .nonFiniteLoss(let phase, let loss, let epoch, let batch, let learningRate, let cause):
            let why = cause ?? "learning rate \(learningRate)"
            return
                "\(phase): loss became \(loss) at epoch \(epoch), batch \(batch) (\(why)); stopping (the last good checkpoint is kept)"
        case .nonFiniteWeight(let phase, let tensor, let epoch, let batch):
            return
                "\(phase): weight \(tensor) is not finite at epoch \(epoch), batch \(batch); stopping (the last good checkpoint is kept)"
        }
    }
}

/// Training stopped on request (Ctrl-C or `--stop-after`) between two batches or at an epoch
/// end. `resumeFile` is where the resumable state went (nil when the trainer keeps no resume
/// files); the CLI turns `runFolder` into the command that continues the run.
public struct InterruptedError: Error, CustomStringConvertible, Sendable {
    /// "student epoch 2, batch 3" or "student epoch 2 (end)".
    public let point: String
    public let resumeFile: String?
    /// The run folder a `--resume` continues (nil without resume files).
    public let runFolder: String?

    public var description: String {
        guard let resumeFile else { return "stopped during \(point); nothing saved" }
        return "stopped during \(point); resumable state saved to \(resumeFile)"
    }
}
