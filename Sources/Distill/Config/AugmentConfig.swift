import NN

/// The `data.augment:` section of a run config: what training-time augmentation the train
/// split gets in every training phase (validation and test never are).
public struct AugmentConfig: Equatable, Sendable {
    /// `crop: {padding: P, p: ...}`: zero-pad by P, crop back at a random offset in [0, 2P].
    public struct Crop: Equatable, Sendable {
        /// P, >= 0.
        public var padding: Int
        /// Probability of translating a sample, in [0, 1] (default 1).
        public var p: Float

        public init(padding: Int, p: Float = 1) { (self.padding, self.p) = (padding, p) }
    }

    /// The random translation; nil: none.
    public var crop: Crop?
    /// `flip: {p: ...}`: the probability of a horizontal flip, in [0, 1]; nil: none.
    public var flip: Float?

    /// `mixup: {alpha: A, p: ...}`: lam ~ Beta(A, A) per sample, applied with probability p
    /// (default 1); nil: none.
    public var mixup: MixPairs.Mode?
    /// `cutmix: {alpha: A, p: ...}`, as mixup; with both set each sample picks one with
    /// probability 0.5 (timm's switch_prob 0.5).
    public var cutmix: MixPairs.Mode?

    public init(crop: Crop? = nil, flip: Float? = nil, mixup: MixPairs.Mode? = nil, cutmix: MixPairs.Mode? = nil) {
        (self.crop, self.flip, self.mixup, self.cutmix) = (crop, flip, mixup, cutmix)
    }

    /// True when samples are mixed (mixup or cutmix), so the hard labels are mixed too.
    public var mixes: Bool { mixup != nil || cutmix != nil }

    /// The whole kernel: crop/flip, then mixup/cutmix.
    public var kernel: BatchAugmentation {
        BatchAugmentation(cropFlip: cropFlip, mix: mixes ? MixPairs(mixup: mixup, cutmix: cutmix) : nil)
    }

    /// The kernel applying it to [B, C, H, W] batches.
    public var cropFlip: CropFlip {
        CropFlip(padding: crop?.padding ?? 0, cropProbability: crop?.p ?? 0, flipProbability: flip ?? 0)
    }
}
