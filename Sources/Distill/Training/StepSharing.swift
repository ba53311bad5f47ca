import NN

/// How the processes of a training phase share each step: one process alone (`SingleProcessStep`)
/// or data parallelism over the ranks of an mpirun (`DataParallel`). The trainer calls these
/// hooks at the same points either way.
protocol StepSharing: AnyObject {
    /// Before the first step of a phase (fresh or resumed).
    func broadcastState() throws
    /// Before each batch's forward pass.
    func place(_ batches: BatchIterator)
    /// After the forward pass and loss of this process's batch: the backward pass, and the
    /// global batch's loss parts, correct predictions and whether any process asked to stop.
    func finish(_ parts: LossParts, correct: Int, batches: BatchIterator) -> (
        parts: LossParts, correct: Int, stop: Bool
    )
    /// Whether a stop was asked for, as every process agrees at an epoch's end.
    var stopRequestedAtEpochEnd: Bool { get }
    /// Before an evaluation.
    func broadcastBuffers()
    /// A line for the epoch's log (nil: nothing to say).
    var epochSummary: String? { get }
}

/// One process: the backward pass of the whole batch, and Ctrl-C / SIGTERM as this process saw them.
final class SingleProcessStep: StepSharing {
    let step: TrainingStep

    init(step: TrainingStep) { self.step = step }

    func broadcastState() throws {}
    func place(_ batches: BatchIterator) {}

    func finish(_ parts: LossParts, correct: Int, batches: BatchIterator) -> (
        parts: LossParts, correct: Int, stop: Bool
    ) {
        step.backward()
        return (parts, correct, StopRequest.requested)
    }

    var stopRequestedAtEpochEnd: Bool { StopRequest.requested }
    func broadcastBuffers() {}
    var epochSummary: String? { nil }
}
