/// Which logit objective distils the student (`distillation.loss`) and its settings.
public enum LogitLoss: String, CaseIterable, Sendable {
    /// Hinton et al.'s KD loss with `distillation.divergence` (alpha, temperature).
    case kd
    /// Decoupled KD (`distillation.dkd`, at `distillation.temperature`).
    case dkd
    /// DIST (`distillation.dist`).
    case dist
}

/// `distillation.dkd`: mdistiller's defaults (alpha 1, beta 8, 20 warm-up epochs).
public struct DKDConfig: Equatable, Sendable {
    /// Weight of the target-class term TCKD.
    public var alpha: Float = 1
    /// Weight of the non-target-class term NCKD.
    public var beta: Float = 8
    /// The DKD term is scaled by min((epoch + 1) / warmup, 1); 0 turns the warm-up off.
    public var warmupEpochs = 20

    public init() {}
}

/// `distillation.dist`: the paper's defaults for small data sets (beta = gamma = 1, tau 4).
public struct DISTConfig: Equatable, Sendable {
    /// Weight of the inter-class (per sample) relation term.
    public var beta: Float = 1
    /// Weight of the intra-class (per class, across the batch) relation term.
    public var gamma: Float = 1
    /// DIST's own softmax temperature.
    public var tau: Float = 4

    public init() {}
}
