import Foundation

/// Batch normalisation, PyTorch's `_BatchNorm` (affine, tracking running statistics): the one
/// implementation behind `BatchNorm1d` ([N, C]) and `BatchNorm2d` ([N, C, H, W]), which only
/// name themselves and the per-sample shape they accept.
///
/// Activations are viewed as [N, C, S] (S = 1 for [N, C], S = H*W for [N, C, H, W]); statistics
/// are per channel over the M = N*S values of that channel. Parameters "weight" (gamma, init 1)
/// and "bias" (beta, init 0); buffers "running_mean" (0), "running_var" (1),
/// "num_batches_tracked" (integer).
///
/// Training: normalise with the batch mean and BIASED variance; update
/// running = (1 - momentum) * running + momentum * batch, with the UNBIASED variance
/// (times M/(M-1), M = N*S) for running_var; num_batches_tracked += 1. A batch with a single
/// value per channel (M = 1, where PyTorch raises) normalises to the bias and leaves the running
/// statistics and the counter untouched. Eval: normalise with the running statistics.
public class BatchNorm: Layer, RectifyingLayer {
    /// "BatchNorm1d" or "BatchNorm2d".
    public let kind: String
    public let numFeatures: Int
    public let eps: Float
    public let momentum: Float
    /// gamma [C], initially 1.
    public let weight: Parameter
    /// beta [C], initially 0.
    public let bias: Parameter
    /// [C], initially 0.
    public let runningMean: Tensor
    /// [C], initially 1.
    public let runningVar: Tensor
    /// A scalar tensor (shape []) holding a whole number; int64 in PyTorch.
    public let numBatchesTracked: Tensor

    /// Trailing dimensions per sample after C: 0 for BatchNorm1d, 2 (H, W) for BatchNorm2d.
    private let spatialRank: Int

    /// The input of the last forward, kept (not copied) for backward, which forms x-hat from it.
    private var input: Tensor?
    /// The mean the last forward normalised with (batch or running), [C].
    private let usedMean: Tensor
    /// 1/sqrt(var + eps) per channel used by the last forward, [C].
    private let invStd: Tensor
    /// The last training batch's mean and biased variance per channel (Float), [C] each.
    private let batchMean: Tensor
    private let batchVariance: Tensor
    private var usedBatchStatistics = false
    /// Whether the last forward rectified its output (a ReLU fused in by `Sequential`).
    private var rectified = false
    /// Per channel: the batch mean, then the biased variance ([2C]); in backward the sums of dy
    /// and dy * x-hat. One slot more for the value count reduced with the means.
    private var statistics: [Double]
    /// Per channel and sample, a run's sum, centred sum and squares (`ChannelRunMoments`),
    /// [C, N, 3]; grown to the largest batch.
    private var runMoments: [Double] = []
    /// Values per channel in the last training batch, over all ranks when synchronised.
    private var batchValues = 0.0
    /// Set: batch statistics over every rank of this collective (sync batch norm, forward and
    /// backward); nil: over this process's batch only.
    public var synchronization: Collective?
    private var spatial = 1
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// Called by BatchNorm1d (spatialRank 0) and BatchNorm2d (spatialRank 2) only.
    init(kind: String, spatialRank: Int, numFeatures: Int, eps: Float, momentum: Float) {
        precondition(
            numFeatures > 0 && eps > 0 && momentum >= 0 && momentum <= 1,
            "BatchNorm: numFeatures and eps must be positive, momentum in [0, 1]")
        self.kind = kind
        self.spatialRank = spatialRank
        self.numFeatures = numFeatures
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(name: "weight", value: Tensor(shape: [numFeatures], value: 1))
        bias = Parameter(name: "bias", value: Tensor(shape: [numFeatures]))
        runningMean = Tensor(shape: [numFeatures])
        runningVar = Tensor(shape: [numFeatures], value: 1)
        numBatchesTracked = Tensor(shape: [])
        invStd = Tensor(shape: [numFeatures])
        usedMean = Tensor(shape: [numFeatures])
        batchMean = Tensor(shape: [numFeatures])
        batchVariance = Tensor(shape: [numFeatures])
        statistics = [Double](repeating: 0, count: 2 * numFeatures + 1)
    }

    /// weight, bias.
    public var parameters: [Parameter] { [weight, bias] }

    /// running_mean, running_var, num_batches_tracked.
    public var buffers: [Buffer] {
        [
            Buffer(name: "running_mean", value: runningMean), Buffer(name: "running_var", value: runningVar),
            Buffer(name: "num_batches_tracked", value: numBatchesTracked, isInteger: true),
        ]
    }

    /// [C] -> [C] (BatchNorm1d) or [C, H, W] -> [C, H, W] (BatchNorm2d).
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 1 + spatialRank, inputShape[0] == numFeatures, inputShape.allSatisfy({ $0 > 0 })
        else {
            let expected = spatialRank == 0 ? "[\(numFeatures)]" : "[\(numFeatures), H, W]"
            throw ShapeError("\(kind) expects a per-sample shape \(expected), found \(inputShape)")
        }
        return inputShape
    }

    /// About 4 operations per element (subtract the mean, scale, multiply by gamma, add beta).
    public func flops(for inputShape: [Int]) -> Int { 4 * inputShape.reduce(1, *) }

    /// x [N, C] or [N, C, H, W] -> y, same shape; `training` selects batch statistics (and
    /// updates the running ones). Channels are split across the cores (BatchNormKernels).
    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, training: training, rectified: false) }

    /// `forward`, then y = max(0, y) in the same pass when `rectified` (a following ReLU's work;
    /// `backward` then also applies its mask, formed again from x: y > 0 where gamma * x-hat +
    /// beta > 0).
    func forward(_ x: Tensor, training: Bool, rectified: Bool) -> Tensor {
        precondition(
            x.shape.count >= 2 && x.shape[1] == numFeatures,
            "BatchNorm: input \(x.shape), expected [N, \(numFeatures), ...]")
        let shape = BatchNormShape(n: x.batch, c: numFeatures, s: x.featuresPerItem / numFeatures)
        spatial = shape.s
        usedBatchStatistics = training
        self.rectified = rectified
        input = x
        output.resize(to: x.shape)
        x.data.withUnsafeBufferPointer { xp in
            if training { batchStatistics(xp.baseAddress!, shape) }
            let (means, variances) = training ? (batchMean, batchVariance) : (runningMean, runningVar)
            for ch in 0..<numFeatures { usedMean.data[ch] = means.data[ch] }
            means.data.withUnsafeBufferPointer { mean in
                variances.data.withUnsafeBufferPointer { variance in
                    weight.value.data.withUnsafeBufferPointer { gamma in
                        bias.value.data.withUnsafeBufferPointer { beta in
                            output.data.withUnsafeMutableBufferPointer { yp in
                                invStd.data.withUnsafeMutableBufferPointer { inv in
                                    Parallel.forRanges(
                                        shape.c, minimumPerThread: shape.minimumChannelsPerThread, align: 1,
                                        ChannelNormalize(
                                            shape: shape, x: xp.baseAddress!, means: mean.baseAddress!,
                                            variances: variance.baseAddress!, gamma: gamma.baseAddress!,
                                            beta: beta.baseAddress!, eps: eps, rectified: rectified,
                                            invStd: inv.baseAddress!, y: yp.baseAddress!))
                                }
                            }
                        }
                    }
                }
            }
        }
        if training && batchValues > 1 { numBatchesTracked.data[0] += 1 }
        return output
    }

    /// The batch mean (statistics[ch]) and biased variance (statistics[C + ch]) per channel of x
    /// ([N, C, S]) from one read of x (`ChannelRunMoments`), over every rank's batch when
    /// `synchronization` is set (an allreduce of the per-channel sums and value count, then of
    /// the squared deviations from the global mean);
    /// the same in Float in `batchMean` / `batchVariance`; updates the running statistics from them when there
    /// are more than one value a channel.
    private func batchStatistics(_ x: UnsafePointer<Float>, _ shape: BatchNormShape) {
        let c = numFeatures
        let split = shape.minimumChannelsPerThread
        if runMoments.count < 3 * shape.n * c { runMoments = [Double](repeating: 0, count: 3 * shape.n * c) }
        statistics.withUnsafeMutableBufferPointer { stats in
            runMoments.withUnsafeMutableBufferPointer { moments in
                Parallel.forRanges(
                    c, minimumPerThread: split, align: 1,
                    ChannelRunMoments(shape: shape, x: x, moments: moments.baseAddress!, sums: stats.baseAddress!))
            }
            stats[c] = Double(shape.n * shape.s)
            synchronization?.allreduceSum(UnsafeMutableBufferPointer(rebasing: stats[0...c]))
            batchValues = stats[c]
            for ch in 0..<c { stats[ch] /= batchValues }
            runMoments.withUnsafeBufferPointer { moments in
                for ch in 0..<c {
                    stats[c + ch] = shape.squaredDeviations(moments.baseAddress!, channel: ch, mean: stats[ch])
                }
            }
            synchronization?.allreduceSum(UnsafeMutableBufferPointer(rebasing: stats[c..<(2 * c)]))
            for ch in 0..<c {
                let squares = stats[c + ch]
                stats[c + ch] = squares / batchValues
                (batchMean.data[ch], batchVariance.data[ch]) = (Float(stats[ch]), Float(stats[c + ch]))
                if batchValues > 1 {
                    runningMean.data[ch] = (1 - momentum) * runningMean.data[ch] + momentum * Float(stats[ch])
                    runningVar.data[ch] =
                        (1 - momentum) * runningVar.data[ch] + momentum * Float(squares / (batchValues - 1))
                }
            }
        }
    }

    /// dy -> dx (same shape as x); adds dgamma += sum dy * x-hat, dbeta += sum dy.
    /// Training: dx = gamma * invstd * (dy - mean(dy) - x-hat * mean(dy * x-hat)), the means over
    /// every rank's batch when synchronised (the parameter gradients stay this rank's sums).
    /// Eval: dx = gamma * invstd * dy (the running statistics are constants). After a rectified
    /// forward, dy is first zeroed where the output was not positive (ReLU's backward).
    public func backward(_ dy: Tensor) -> Tensor {
        guard let x = input else { preconditionFailure("BatchNorm: backward before forward") }
        precondition(dy.shape == x.shape, "BatchNorm: dy \(dy.shape), expected \(x.shape)")
        let shape = BatchNormShape(n: dy.batch, c: numFeatures, s: spatial)
        let split = shape.minimumChannelsPerThread
        inputGrad.resize(to: dy.shape)
        withNormalizedInput(x) { normalized in
            dy.data.withUnsafeBufferPointer { d in
                statistics.withUnsafeMutableBufferPointer { sums in
                    weight.grad.data.withUnsafeMutableBufferPointer { gammaGrad in
                        bias.grad.data.withUnsafeMutableBufferPointer { betaGrad in
                            Parallel.forRanges(
                                shape.c, minimumPerThread: split, align: 1,
                                ChannelGradientSums(
                                    shape: shape, dy: d.baseAddress!, input: normalized, sums: sums.baseAddress!,
                                    gammaGrad: gammaGrad.baseAddress!, betaGrad: betaGrad.baseAddress!))
                        }
                    }
                    if usedBatchStatistics, let synchronization {
                        synchronization.allreduceSum(UnsafeMutableBufferPointer(rebasing: sums[0..<(2 * shape.c)]))
                    }
                    let count = usedBatchStatistics && synchronization != nil ? batchValues : Double(shape.n * shape.s)
                    inputGrad.data.withUnsafeMutableBufferPointer { dx in
                        Parallel.forRanges(
                            shape.c, minimumPerThread: split, align: 1,
                            ChannelInputGradient(
                                shape: shape, dy: d.baseAddress!, input: normalized,
                                sums: UnsafePointer(sums.baseAddress!), count: usedBatchStatistics ? count : nil,
                                dx: dx.baseAddress!))
                    }
                }
            }
        }
        return inputGrad
    }

    /// Runs `body` with the last forward's input and what it was normalised with.
    private func withNormalizedInput(_ x: Tensor, _ body: (NormalizedInput) -> Void) {
        x.data.withUnsafeBufferPointer { xp in
            usedMean.data.withUnsafeBufferPointer { mean in
                invStd.data.withUnsafeBufferPointer { inv in
                    weight.value.data.withUnsafeBufferPointer { gamma in
                        bias.value.data.withUnsafeBufferPointer { beta in
                            body(
                                NormalizedInput(
                                    x: xp.baseAddress!, means: mean.baseAddress!, invStd: inv.baseAddress!,
                                    gamma: gamma.baseAddress!, beta: beta.baseAddress!, rectified: rectified))
                        }
                    }
                }
            }
        }
    }
}
