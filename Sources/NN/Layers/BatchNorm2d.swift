/// Batch normalisation over [N, C, H, W], PyTorch's `nn.BatchNorm2d`; everything but the accepted
/// per-sample shape lives in `BatchNorm` (shared with BatchNorm1d).
public final class BatchNorm2d: BatchNorm {
    /// A layer over `numFeatures` channels of x [N, C, H, W]; `momentum` weighs the batch in the
    /// running update (running = (1 - momentum) * running + momentum * batch).
    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        super.init(kind: "BatchNorm2d", spatialRank: 2, numFeatures: numFeatures, eps: eps, momentum: momentum)
    }
}
