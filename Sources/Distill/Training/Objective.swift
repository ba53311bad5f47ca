import NN

/// The loss of one batch, split into its parts for the metrics log.
public struct LossParts {
    public var total: Float
    /// The divergence term before alpha * T^2 scaling (nil for hard-label training).
    public var soft: Float?
    /// The cross-entropy term (nil when there is none).
    public var hard: Float?
}

/// What a training phase minimises: given the model's logits for a batch, the loss and its
/// gradient w.r.t. the logits.
public protocol Objective: AnyObject {
    /// logits: [B, K]; input: [B, ...sample]; labels, indices: B entries (indices into the
    /// training set); mix: the batch's mixed hard labels when it was mixed (mixup, cutmix), the
    /// hard term then being `mixedCrossEntropy`; only objectives that `acceptsLabelMix` get one.
    /// Overwrites `gradient` with dL/dlogits ([B, K]).
    func loss(logits: Tensor, input: Tensor, labels: [Int32], mix: LabelMix?, indices: [Int], gradient: Tensor)
        -> LossParts
    /// Called before each epoch (0-based) of `epochs`.
    func beginEpoch(_ epoch: Int, of epochs: Int)
    /// State carried from batch to batch that an exact resume must restore, by name (PS-KD's
    /// per-sample predictions); empty for objectives that keep none.
    var resumableState: [String: Tensor] { get }
    /// Why the last batch's loss was not finite, when the objective can tell (e.g. the
    /// teacher's targets were not finite); nil when it cannot.
    func nonFiniteCause() -> String?
    /// True when the loss compares the samples of a batch, so a batch of 1 cannot be trained on.
    var needsTwoSamplesPerBatch: Bool { get }
    /// False when the objective needs one target class per sample (DKD) or builds its targets
    /// from the labels itself (PS-KD), so mixed labels cannot be given to it.
    var acceptsLabelMix: Bool { get }
    /// Restores `resumableState` from a resume file; throws `ObjectiveStateError` when names or
    /// shapes differ.
    func restoreState(_ tensors: [String: Tensor]) throws
    /// V when the objective's teacher outputs are cached for V augmented views: the trainer
    /// then augments epoch e as epoch e mod V, the view the targets hold. nil: every epoch is
    /// augmented afresh.
    var augmentationViews: Int? { get }
    /// Trainable parameters the objective owns (feature regressors), trained by the phase's
    /// optimizer after the model's; never part of the model or its exports.
    var parameters: [Parameter] { get }
    /// Called once before training `model` (feature objectives tap its layers).
    func attach(to model: Sequential)
    /// The last batch's feature terms, unweighted, named as `featureTermNames` (empty: none).
    var featureTermLosses: [Float] { get }
    var featureTermNames: [String] { get }
}

/// An objective fed by `TeacherTargets`: it reads the view of the epoch (cached views) and
/// tells the trainer how many views there are.
protocol TeacherTargetsObjective: Objective {
    var targets: TeacherTargets { get }
}

extension TeacherTargetsObjective {
    public func beginEpoch(_ epoch: Int, of epochs: Int) { targets.beginEpoch(epoch) }
    public var augmentationViews: Int? { targets.viewCount }
}

extension Objective {
    public func beginEpoch(_ epoch: Int, of epochs: Int) {}
    public var resumableState: [String: Tensor] { [:] }
    public func nonFiniteCause() -> String? { nil }
    public var needsTwoSamplesPerBatch: Bool { false }
    public var augmentationViews: Int? { nil }
    public var acceptsLabelMix: Bool { true }
    public var parameters: [Parameter] { [] }
    public func attach(to model: Sequential) {}
    public var featureTermLosses: [Float] { [] }
    public var featureTermNames: [String] { [] }
    public func restoreState(_ tensors: [String: Tensor]) throws {
        if let name = tensors.keys.sorted().first {
            throw ObjectiveStateError(tensor: name, "is not state of this objective")
        }
    }
}

/// Plain supervised training: cross-entropy with the hard labels (optional label smoothing).
public final class HardLabelObjective: Objective {
    let labelSmoothing: Float

    public init(labelSmoothing: Float = 0) { self.labelSmoothing = labelSmoothing }

    public func loss(
        logits: Tensor, input: Tensor, labels: [Int32], mix: LabelMix?, indices: [Int], gradient: Tensor
    ) -> LossParts {
        let ce = hardCrossEntropy(
            logits: logits, labels: labels, mix: mix, labelSmoothing: labelSmoothing, gradient: gradient)
        return LossParts(total: ce, soft: nil, hard: ce)
    }
}
