/// The per-channel passes of `BatchNorm` over activations viewed as [N, C, S]: channel ch of
/// sample i is the run of S values at (i * C + ch) * S. Each job handles whole channels, so
/// `Parallel.forRanges` may hand channels to different cores without changing a bit: a
/// channel's sums are always formed in the same order. Runs are summed 8 lanes at a time in
/// Float (at most S / 8 values per lane), the runs and lanes of a channel in Double.
struct BatchNormShape {
    let n: Int
    let c: Int
    let s: Int

    /// Channels per thread so that a thread gets at least 16k values (a pass over fewer is not
    /// worth waking a second core for).
    var minimumChannelsPerThread: Int { max(1, 16_384 / max(n * s, 1)) }

    /// Offset of channel `ch`'s run in sample `i`.
    @inline(__always) func run(_ i: Int, _ ch: Int) -> Int { (i * c + ch) * s }
}

/// sum of p[0..<count].
@inline(__always)
private func laneSum(_ p: UnsafePointer<Float>, _ count: Int) -> Double {
    var lanes = SIMD8<Float>()
    var j = 0
    while j + 8 <= count {
        lanes += UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self)
        j += 8
    }
    var total = Double(lanes.sum())
    while j < count {
        total += Double(p[j])
        j += 1
    }
    return total
}

/// sum of (p[j] - mean)^2 over j < count.
@inline(__always)
private func laneSquares(_ p: UnsafePointer<Float>, _ count: Int, mean: Float) -> Double {
    var lanes = SIMD8<Float>()
    let mu = SIMD8<Float>(repeating: mean)
    var j = 0
    while j + 8 <= count {
        let d = UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self) - mu
        lanes += d * d
        j += 8
    }
    var total = Double(lanes.sum())
    while j < count {
        let d = Double(p[j]) - Double(mean)
        total += d * d
        j += 1
    }
    return total
}

/// (sum of dy[j], sum of dy[j] * (x[j] - mean)) over j < count.
@inline(__always)
private func laneSumAndCenteredDot(
    _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ count: Int, mean: Float
) -> (Double, Double) {
    var sums = SIMD8<Float>()
    var dots = SIMD8<Float>()
    let mu = SIMD8<Float>(repeating: mean)
    var j = 0
    while j + 8 <= count {
        let g = UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD8<Float>.self)
        sums += g
        dots += g * (UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self) - mu)
        j += 8
    }
    var (sum, dot) = (Double(sums.sum()), Double(dots.sum()))
    while j < count {
        sum += Double(dy[j])
        dot += Double(dy[j]) * Double(x[j] - mean)
        j += 1
    }
    return (sum, dot)
}

/// Per channel ch: out[ch] = sum of x (`means` nil), or sum of (x - means[ch])^2.
struct ChannelMoment: RangeJob {
    let shape: BatchNormShape
    let x: UnsafePointer<Float>
    let means: UnsafePointer<Double>?
    let out: UnsafeMutablePointer<Double>

    func run(_ range: Range<Int>) {
        for ch in range {
            let mean = means.map { Float($0[ch]) }
            var total = 0.0
            for i in 0..<shape.n {
                let run = x + shape.run(i, ch)
                total += mean.map { laneSquares(run, shape.s, mean: $0) } ?? laneSum(run, shape.s)
            }
            out[ch] = total
        }
    }
}

/// y = gamma * x-hat + beta per channel, x-hat = (x - mean) * invstd, mean and variance from
/// `means` / `variances`; stores invstd = 1 / sqrt(var + eps) per channel. x-hat is not kept:
/// backward forms it again from x, one read instead of a write and a read.
struct ChannelNormalize: RangeJob {
    let shape: BatchNormShape
    let x: UnsafePointer<Float>
    let means: UnsafePointer<Float>
    let variances: UnsafePointer<Float>
    let gamma: UnsafePointer<Float>
    let beta: UnsafePointer<Float>
    let eps: Float
    let invStd: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        for ch in range {
            let (mean, inv) = (means[ch], 1 / (variances[ch] + eps).squareRoot())
            invStd[ch] = inv
            let (g, b) = (gamma[ch], beta[ch])
            for i in 0..<shape.n {
                let base = shape.run(i, ch)
                for j in base..<(base + shape.s) { y[j] = g * ((x[j] - mean) * inv) + b }
            }
        }
    }
}

/// Per channel: sums[ch] = sum dy, sums[C + ch] = sum dy * x-hat (= invstd * sum dy * (x -
/// mean)), and the parameter gradients dgamma[ch] += sum dy * x-hat, dbeta[ch] += sum dy.
struct ChannelGradientSums: RangeJob {
    let shape: BatchNormShape
    let dy: UnsafePointer<Float>
    /// The forward's input and the mean and invstd it was normalised with.
    let x: UnsafePointer<Float>
    let means: UnsafePointer<Float>
    let invStd: UnsafePointer<Float>
    let sums: UnsafeMutablePointer<Double>
    let gammaGrad: UnsafeMutablePointer<Float>
    let betaGrad: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        for ch in range {
            var (sumDy, sumDyCentered) = (0.0, 0.0)
            for i in 0..<shape.n {
                let base = shape.run(i, ch)
                let (a, b) = laneSumAndCenteredDot(dy + base, x + base, shape.s, mean: means[ch])
                sumDy += a
                sumDyCentered += b
            }
            let sumDyXhat = sumDyCentered * Double(invStd[ch])
            gammaGrad[ch] += Float(sumDyXhat)
            betaGrad[ch] += Float(sumDy)
            (sums[ch], sums[shape.c + ch]) = (sumDy, sumDyXhat)
        }
    }
}

/// dx = gamma * invstd * (dy - mean(dy) - x-hat * mean(dy * x-hat)) per channel, x-hat = (x -
/// mean) * invstd formed again from the forward's input, the means of dy and dy * x-hat being
/// sums / `count` (batch statistics) or 0 (`count` nil: eval mode, dx = gamma * invstd * dy).
struct ChannelInputGradient: RangeJob {
    let shape: BatchNormShape
    let dy: UnsafePointer<Float>
    let x: UnsafePointer<Float>
    let means: UnsafePointer<Float>
    let sums: UnsafePointer<Double>
    let count: Double?
    let gamma: UnsafePointer<Float>
    let invStd: UnsafePointer<Float>
    let dx: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        for ch in range {
            let (scale, mean, inv) = (gamma[ch] * invStd[ch], means[ch], invStd[ch])
            guard let count else {
                for i in 0..<shape.n {
                    let base = shape.run(i, ch)
                    for j in base..<(base + shape.s) { dx[j] = scale * dy[j] }
                }
                continue
            }
            let (meanDy, meanDyXhat) = (Float(sums[ch] / count), Float(sums[shape.c + ch] / count))
            for i in 0..<shape.n {
                let base = shape.run(i, ch)
                for j in base..<(base + shape.s) {
                    dx[j] = scale * (dy[j] - meanDy - ((x[j] - mean) * inv) * meanDyXhat)
                }
            }
        }
    }
}
