/// A tap on one layer of a `Sequential`: the forward pass hands it that layer's output, and a
/// feature loss may give it a gradient that the backward pass adds into the layer's output
/// gradient (FitNets hints, attention transfer).
///
/// No copy: `feature` is the tensor the layer returned (owned by the layer, valid until its next
/// forward). `gradient` is the tap's own buffer, sized once per batch shape; the backward pass
/// adds the upstream gradient into it and hands it down, so it is consumed by one backward.
public final class FeatureTap {
    /// The tapped layer's index in its `Sequential`.
    public let layer: Int
    /// Per-sample shape of the tapped output, e.g. [16, 14, 14].
    public let shape: [Int]
    /// The tapped layer's output of the last forward, [N, ...shape]; nil before the first.
    public internal(set) var feature: Tensor?
    /// dL_feature/dfeature, [N, ...shape], written by the feature loss.
    public let gradient = Tensor(shape: [0])
    /// True from `markGradient()` until the next backward has added `gradient` in.
    public private(set) var hasGradient = false

    init(layer: Int, shape: [Int]) {
        self.layer = layer
        self.shape = shape
    }

    /// Declares `gradient` written for the batch of the last forward: the next backward adds it.
    public func markGradient() { hasGradient = true }

    /// dy [N, ...shape] of the tapped output -> dy + `gradient` (in `gradient`), or dy itself
    /// when no gradient was marked.
    func adding(into dy: Tensor) -> Tensor {
        guard hasGradient else { return dy }
        hasGradient = false
        precondition(gradient.count == dy.count, "FeatureTap: gradient \(gradient.shape), dy \(dy.shape)")
        gradient.add(dy)
        return gradient
    }
}
