import NN

/// One optimisation step on a batch, as every training phase (`Trainer`) and `kd bench` run it:
/// augment the batch in place (when `augmentation` is set), zero the gradients, forward in training mode, the objective's loss and dL/dlogits, then
/// (`apply`) backward for the parameter gradients only (the input needs no dx) and the
/// optimizer's update. Split in two so the trainer can refuse a non-finite loss before any
/// weight changes. Allocates nothing once its buffers have the batch's shape.
public final class TrainingStep {
    public let model: Sequential
    public let objective: Objective
    public let optimizer: Optimizer
    /// dL/dlogits of the last batch, [B, K].
    private let gradient = Tensor(shape: [0])
    /// When set, the seconds spent in the augmentation, the loss and the optimizer are added to it.
    public var timings: StepTimings?
    /// The augmentation of every batch and the key of the epoch in progress; nil: none.
    public var augmentation: (kernel: BatchAugmentation, key: AugmentKey)?
    /// The mixed batch's partner labels and weights (mixup, cutmix), B each, reused.
    private var partnerLabels: [Int32] = []
    private var lambdas: [Float] = []

    public init(model: Sequential, objective: Objective, optimizer: Optimizer) {
        self.model = model
        self.objective = objective
        self.optimizer = optimizer
    }

    /// Augmentation (in place), forward pass and loss of the batch `batches` holds: the model
    /// and the objective (a live teacher) see the same augmented inputs. Returns the loss parts
    /// and how many of the B samples the model already classifies correctly (a mixed sample
    /// counts against its own label).
    public func loss(on batches: BatchIterator) -> (parts: LossParts, correct: Int) {
        var mix: LabelMix?
        if let (kernel, key) = augmentation {
            let start = timings.map { _ in MonotonicClock.seconds }
            if kernel.mix != nil {
                precondition(objective.acceptsLabelMix, "TrainingStep: the objective takes no mixed labels")
                Self.size(&partnerLabels, batches.labels.count)
                Self.size(&lambdas, batches.labels.count)
            }
            if kernel.apply(
                to: batches.inputs, indices: batches.indices, labels: batches.labels, key: key,
                partnerLabels: &partnerLabels, lambdas: &lambdas)
            {
                mix = LabelMix(partnerLabels: partnerLabels, lambdas: lambdas)
            }
            if let start { timings?.augmentSeconds += MonotonicClock.seconds - start }
        }
        model.zeroGrad()
        let logits = model.forward(batches.inputs, training: true)
        let start = timings.map { _ in MonotonicClock.seconds }
        let parts = objective.loss(
            logits: logits, input: batches.inputs, labels: batches.labels, mix: mix,
            indices: batches.indices, gradient: gradient)
        if let start { timings?.lossSeconds += MonotonicClock.seconds - start }
        return (parts, logits.correctPredictions(batches.labels))
    }

    /// Gives `buffer` `count` values, keeping its storage (no allocation once it has held as many).
    private static func size<T: Numeric>(_ buffer: inout [T], _ count: Int) {
        guard buffer.count != count else { return }
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: count))
    }

    /// Backward from the gradient `loss(on:)` left, then one optimizer step at `learningRate`.
    public func apply(learningRate: Float) {
        backward()
        update(learningRate: learningRate)
    }

    /// Backward from the gradient `loss(on:)` left, times `scale` (a rank's share of the global
    /// batch, b / B, so that the ranks' summed gradients are the global batch mean's).
    public func backward(scale: Float = 1) {
        if scale != 1 { gradient.data.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= scale } } }
        model.accumulateGradients(gradient)
    }

    /// One optimizer step at `learningRate` from the parameters' gradients.
    public func update(learningRate: Float) {
        let start = timings.map { _ in MonotonicClock.seconds }
        optimizer.step(learningRate: learningRate)
        if let start { timings?.optimizerSeconds += MonotonicClock.seconds - start }
    }
}

/// Seconds a profiled run spent in the augmentation, the loss and the optimizer, summed over its steps.
public final class StepTimings {
    public var augmentSeconds = 0.0
    public var lossSeconds = 0.0
    public var optimizerSeconds = 0.0

    public init() {}

    /// Forgets everything measured so far (after warm-up steps).
    public func reset() {
        augmentSeconds = 0
        lossSeconds = 0
        optimizerSeconds = 0
    }
}
