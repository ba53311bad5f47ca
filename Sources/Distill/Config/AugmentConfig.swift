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

    public init(crop: Crop? = nil, flip: Float? = nil) { (self.crop, self.flip) = (crop, flip) }

    /// The kernel applying it to [B, C, H, W] batches.
    public var cropFlip: CropFlip {
        CropFlip(padding: crop?.padding ?? 0, cropProbability: crop?.p ?? 0, flipProbability: flip ?? 0)
    }
}
