import NN

/// One training phase's data parallelism over the ranks of `collective` (see README, "Scaling
/// out"): rank 0's state to every rank, each rank's share of a step turned into the global
/// batch's gradient and loss, batch norm synchronised when asked, rank 0's running statistics
/// to every rank before an evaluation. Built by `Trainer` only when there is more than one rank.
final class DataParallel: StepSharing {
    let collective: Collective
    let step: TrainingStep
    /// The flat gradient buffer and, after it, `Extra.count` loss sums.
    let reducer: GradientAllreduce
    private let dropouts: [Dropout]
    /// Whether any rank asked to stop, as the last step's reduction told every rank.
    private(set) var stopRequestedAtEpochEnd = false

    /// The scalars summed with the gradients of a step.
    private enum Extra: Int, CaseIterable {
        case loss, soft, hard, correct, samples, stop
    }

    /// Sets up `step`'s model for `collective`: batch norm over all ranks when `syncBatchnorm`.
    init(collective: Collective, step: TrainingStep, syncBatchnorm: Bool) {
        self.collective = collective
        self.step = step
        reducer = GradientAllreduce(
            parameters: step.model.parameters, collective: collective, extras: Extra.allCases.count)
        dropouts = step.model.leafLayers.compactMap { $0.layer as? Dropout }
        for case let norm as BatchNorm in step.model.leafLayers.map(\.layer) {
            norm.synchronization = syncBatchnorm ? collective : nil
        }
    }

    /// Replaces every rank's weights, buffers and optimizer state with rank 0's (before the
    /// first step, fresh or resumed).
    func broadcastState() throws {
        for entry in step.model.stateDict { broadcast(entry.value) }
        let state = step.optimizer.stateTensors()
        for entry in state { broadcast(entry.tensor) }
        try step.optimizer.loadState(Dictionary(state.map { ($0.name, $0.tensor) }) { a, _ in a })
    }

    /// Gives every rank rank 0's running statistics, so the ranks evaluate one model.
    func broadcastBuffers() {
        for entry in step.model.stateDict where !step.model.parameters.contains(where: { $0.value === entry.value }) {
            broadcast(entry.value)
        }
    }

    private func broadcast(_ tensor: Tensor) {
        tensor.data.withUnsafeMutableBufferPointer { collective.broadcast($0, root: 0) }
    }

    /// Tells the dropout layers where this rank's share of the next batch sits.
    func place(_ batches: BatchIterator) {
        for dropout in dropouts {
            dropout.shard = BatchShard(rank: collective.rank, size: collective.size, globalBatch: batches.globalBatch)
        }
    }

    /// Backward of this rank's share of the batch, scaled by share / global batch, then the
    /// gradients, the loss sums and the stop flags summed over the ranks. Returns the global
    /// batch's loss parts and correct predictions, and whether any rank asked to stop (a rank's
    /// Ctrl-C or SIGTERM seen by all at the same step, so every rank stops at the same batch).
    func finish(_ parts: LossParts, correct: Int, batches: BatchIterator) -> (
        parts: LossParts, correct: Int, stop: Bool
    ) {
        let stopRequested = StopRequest.requested
        let share = batches.labels.count
        let global = batches.globalBatch
        step.backward(scale: Float(share) / Float(global))
        let weight = Float(share)
        let values: [Extra: Float] = [
            .loss: share > 0 ? parts.total * weight : 0, .soft: share > 0 ? (parts.soft ?? 0) * weight : 0,
            .hard: share > 0 ? (parts.hard ?? 0) * weight : 0, .correct: Float(correct), .samples: weight,
            .stop: stopRequested ? 1 : 0,
        ]
        for (extra, value) in values { reducer.extras[extra.rawValue] = value }
        reducer.reduce()
        let sums = reducer.extras
        let n = sums[Extra.samples.rawValue]
        let reduced = LossParts(
            total: sums[Extra.loss.rawValue] / n, soft: parts.soft.map { _ in sums[Extra.soft.rawValue] / n },
            hard: parts.hard.map { _ in sums[Extra.hard.rawValue] / n })
        stopRequestedAtEpochEnd = sums[Extra.stop.rawValue] > 0
        return (reduced, Int(sums[Extra.correct.rawValue]), stopRequestedAtEpochEnd)
    }

    /// How the gradients were reduced this epoch (nil before the first step).
    var epochSummary: String? { reducer.steps > 0 ? reducer.summary : nil }
}
