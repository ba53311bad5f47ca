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
public class BatchNorm: Layer {
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

    /// x-hat of the last forward, [N, C, S] flattened.
    private let normalized = Tensor(shape: [0])
    /// 1/sqrt(var + eps) per channel used by the last forward.
    private var invStd: [Float]
    private var usedBatchStatistics = false
    /// Per channel: the batch mean, then the biased variance ([2C]); in backward the sums of dy
    /// and dy * x-hat. One slot more for the value count reduced with the means.
    private var statistics: [Double]
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
        invStd = [Float](repeating: 0, count: numFeatures)
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
    /// updates the running ones).
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(
            x.shape.count >= 2 && x.shape[1] == numFeatures,
            "BatchNorm: input \(x.shape), expected [N, \(numFeatures), ...]")
        let (n, c) = (x.batch, numFeatures)
        let s = x.featuresPerItem / c
        let m = n * s
        spatial = s
        usedBatchStatistics = training
        normalized.resize(to: x.shape)
        output.resize(to: x.shape)
        x.data.withUnsafeBufferPointer { xp in
            if training { batchStatistics(xp, n: n, s: s, m: m) }
            normalized.data.withUnsafeMutableBufferPointer { xh in
                output.data.withUnsafeMutableBufferPointer { yp in
                    for ch in 0..<c {
                        let mean = training ? Float(statistics[ch]) : runningMean.data[ch]
                        let variance = training ? Float(statistics[c + ch]) : runningVar.data[ch]
                        let inv = 1 / (variance + eps).squareRoot()
                        invStd[ch] = inv
                        let (gamma, beta) = (weight.value.data[ch], bias.value.data[ch])
                        forEachRun(n, ch, s) { base in
                            for j in base..<(base + s) {
                                let v = (xp[j] - mean) * inv
                                xh[j] = v
                                yp[j] = gamma * v + beta
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
    /// ([N, C, S], m = N*S values a channel), over every rank's batch when `synchronization` is
    /// set (an allreduce of the per-channel sums and value count, then of the squared deviations
    /// from the global mean); updates the running statistics from them when there are m > 1 values.
    private func batchStatistics(_ xp: UnsafeBufferPointer<Float>, n: Int, s: Int, m: Int) {
        let c = numFeatures
        statistics.withUnsafeMutableBufferPointer { stats in
            for ch in 0..<c {
                var sum = 0.0
                forEachRun(n, ch, s) { base in for j in 0..<s { sum += Double(xp[base + j]) } }
                stats[ch] = sum
            }
            stats[c] = Double(m)
            synchronization?.allreduceSum(UnsafeMutableBufferPointer(rebasing: stats[0...c]))
            batchValues = stats[c]
            for ch in 0..<c { stats[ch] /= batchValues }
            for ch in 0..<c {
                let mu = stats[ch]
                var squares = 0.0
                forEachRun(n, ch, s) { base in
                    for j in 0..<s { squares += (Double(xp[base + j]) - mu) * (Double(xp[base + j]) - mu) }
                }
                stats[c + ch] = squares
            }
            synchronization?.allreduceSum(UnsafeMutableBufferPointer(rebasing: stats[c..<(2 * c)]))
            for ch in 0..<c {
                let squares = stats[c + ch]
                stats[c + ch] = squares / batchValues
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
    /// Eval: dx = gamma * invstd * dy (the running statistics are constants).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == normalized.shape, "BatchNorm: dy \(dy.shape), expected \(normalized.shape)")
        let (n, c, s) = (dy.batch, numFeatures, spatial)
        inputGrad.resize(to: dy.shape)
        dy.data.withUnsafeBufferPointer { d in
            normalized.data.withUnsafeBufferPointer { xh in
                statistics.withUnsafeMutableBufferPointer { sums in
                    for ch in 0..<c {
                        var sumDy = 0.0
                        var sumDyXhat = 0.0
                        forEachRun(n, ch, s) { base in
                            for j in base..<(base + s) {
                                sumDy += Double(d[j])
                                sumDyXhat += Double(d[j]) * Double(xh[j])
                            }
                        }
                        weight.grad.data[ch] += Float(sumDyXhat)
                        bias.grad.data[ch] += Float(sumDy)
                        (sums[ch], sums[c + ch]) = (sumDy, sumDyXhat)
                    }
                    if usedBatchStatistics, let synchronization {
                        synchronization.allreduceSum(UnsafeMutableBufferPointer(rebasing: sums[0..<(2 * c)]))
                    }
                }
                let m = usedBatchStatistics && synchronization != nil ? batchValues : Double(n * s)
                inputGrad.data.withUnsafeMutableBufferPointer { dx in
                    for ch in 0..<c {
                        let scale = weight.value.data[ch] * invStd[ch]
                        let (meanDy, meanDyXhat) =
                            usedBatchStatistics ? (Float(statistics[ch] / m), Float(statistics[c + ch] / m)) : (0, 0)
                        forEachRun(n, ch, s) { base in
                            for j in base..<(base + s) { dx[j] = scale * (d[j] - meanDy - xh[j] * meanDyXhat) }
                        }
                    }
                }
            }
        }
        return inputGrad
    }

    /// Calls `body` with the start of channel `ch`'s run of `s` values in each of the `n` samples.
    @inline(__always)
    private func forEachRun(_ n: Int, _ ch: Int, _ s: Int, _ body: (Int) -> Void) {
        for i in 0..<n { body((i * numFeatures + ch) * s) }
    }
}
