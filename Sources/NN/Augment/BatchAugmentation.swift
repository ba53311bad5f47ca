/// The whole training-time augmentation of an image batch, in place: `CropFlip` first, then
/// `MixPairs` (when set) on the cropped and flipped samples.
public struct BatchAugmentation: Sendable, Equatable {
    public let cropFlip: CropFlip
    /// Mixup and cutmix; nil: none (the labels stay as they are).
    public let mix: MixPairs?

    public init(cropFlip: CropFlip, mix: MixPairs? = nil) { (self.cropFlip, self.mix) = (cropFlip, mix) }
}

extension BatchAugmentation {
    /// Augments x [B, C, H, W] in place (`indices`: the samples' indices in the data set).
    /// With mixing, writes each sample's partner label and weight into `partnerLabels` and
    /// `lambdas` (B values each, kept by the caller) and returns true; without, leaves them and
    /// returns false.
    @discardableResult
    public func apply(
        to x: Tensor, indices: [Int], labels: [Int32], key: AugmentKey, partnerLabels: inout [Int32],
        lambdas: inout [Float]
    ) -> Bool {
        cropFlip.apply(to: x, indices: indices, key: key)
        guard let mix else { return false }
        mix.apply(
            to: x, indices: indices, labels: labels, key: key, partnerLabels: &partnerLabels, lambdas: &lambdas)
        return true
    }
}
