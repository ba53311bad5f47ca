/// Batch normalisation over [N, C], PyTorch's `nn.BatchNorm1d`; everything but the accepted
/// per-sample shape lives in `BatchNorm` (shared with BatchNorm2d).
public final class BatchNorm1d: BatchNorm {
    /// A layer over `numFeatures` channels of x [N, C]; `momentum` weighs the batch in the
    /// running update (running = (1 - momentum) * running + momentum * batch).
    public init(numFeatures: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        super.init(kind: "BatchNorm1d", spatialRank: 0, numFeatures: numFeatures, eps: eps, momentum: momentum)
    }
}
