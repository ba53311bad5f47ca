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

/// (sum of p[j] - mean, sum of (p[j] - mean)^2) over j < count.
@inline(__always)
private func laneCenteredMoments(_ p: UnsafePointer<Float>, _ count: Int, mean: Float) -> (Double, Double) {
    var (sums, squares) = (SIMD8<Float>(), SIMD8<Float>())
    let mu = SIMD8<Float>(repeating: mean)
    var j = 0
    while j + 8 <= count {
        let d = UnsafeRawPointer(p + j).loadUnaligned(as: SIMD8<Float>.self) - mu
        sums += d
        squares += d * d
        j += 8
    }
    var (sum, total) = (Double(sums.sum()), Double(squares.sum()))
    while j < count {
        let d = Double(p[j]) - Double(mean)
        sum += d
        total += d * d
        j += 1
    }
    return (sum, total)
}

/// The forward's input as backward reads it: x [N, C, S], the per-channel mean and invstd it
/// was normalised with, gamma and beta, and whether the forward rectified its output.
struct NormalizedInput {
    let x: UnsafePointer<Float>
    let means: UnsafePointer<Float>
    let invStd: UnsafePointer<Float>
    let gamma: UnsafePointer<Float>
    let beta: UnsafePointer<Float>
    let rectified: Bool

    /// Channel `ch`'s constants.
    @inline(__always) func channel(_ ch: Int) -> NormalizedChannel {
        NormalizedChannel(
            mean: means[ch], invStd: invStd[ch], gamma: gamma[ch], beta: beta[ch], rectified: rectified)
    }
}

/// One channel of a `NormalizedInput`, as values (so that the loops over its runs keep them in
/// registers and vectorise).
struct NormalizedChannel {
    let mean: Float
    let invStd: Float
    let gamma: Float
    let beta: Float
    let rectified: Bool

    /// gamma * x-hat + beta at input x: the forward's output before max(0, .), and what backward
    /// forms again for the ReLU's mask (one expression, so both get the same bits).
    @inline(__always) func normalized(_ x: Float) -> Float { gamma * ((x - mean) * invStd) + beta }

    /// `normalized` eight lanes at a time.
    @inline(__always) func normalized(_ x: SIMD8<Float>) -> SIMD8<Float> { gamma * ((x - mean) * invStd) + beta }

    /// The output gradient at input x: dy, or after a rectified forward dy where `normalized(x)`
    /// is positive, else 0, as ReLU's backward.
    @inline(__always) func gradient(_ dy: Float, x: Float) -> Float {
        guard rectified else { return dy }
        return normalized(x) > 0 ? dy : 0
    }

    /// `gradient` eight lanes at a time.
    @inline(__always) func gradient(_ dy: SIMD8<Float>, x: SIMD8<Float>) -> SIMD8<Float> {
        guard rectified else { return dy }
        return SIMD8(repeating: 0).replacing(with: dy, where: normalized(x) .> 0)
    }
}

/// (sum of g[j], sum of g[j] * (x[j] - mean)) over j < count, g = `channel.gradient(dy)`.
@inline(__always)
private func laneSumAndCenteredDot(
    _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ channel: NormalizedChannel, _ count: Int
) -> (Double, Double) {
    var sums = SIMD8<Float>()
    var dots = SIMD8<Float>()
    let mean = channel.mean
    var j = 0
    while j + 8 <= count {
        let xv = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
        let g = channel.gradient(UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD8<Float>.self), x: xv)
        sums += g
        dots += g * (xv - mean)
        j += 8
    }
    var (sum, dot) = (Double(sums.sum()), Double(dots.sum()))
    while j < count {
        let g = Double(channel.gradient(dy[j], x: x[j]))
        sum += g
        dot += g * Double(x[j] - mean)
        j += 1
    }
    return (sum, dot)
}

/// One read of x for the batch statistics: per channel ch and sample i, the run's sum S, and its
/// sum D and squares Q around m = Float(S / s) (read again while the run is in L1), at
/// moments[3 * (ch * n + i)] and the two slots after; sums[ch] = the sum of the channel's S.
struct ChannelRunMoments: RangeJob {
    let shape: BatchNormShape
    let x: UnsafePointer<Float>
    let moments: UnsafeMutablePointer<Double>
    let sums: UnsafeMutablePointer<Double>

    func run(_ range: Range<Int>) {
        for ch in range {
            var total = 0.0
            for i in 0..<shape.n {
                let run = x + shape.run(i, ch)
                let sum = laneSum(run, shape.s)
                let slot = moments + 3 * (ch * shape.n + i)
                slot[0] = sum
                (slot[1], slot[2]) = laneCenteredMoments(run, shape.s, mean: shape.runMean(sum))
                total += sum
            }
            sums[ch] = total
        }
    }
}

extension BatchNormShape {
    /// The centre m of a run's squares in `ChannelRunMoments`, from its sum.
    @inline(__always) func runMean(_ sum: Double) -> Float { Float(sum / Double(s)) }

    /// Σ (x - mean)^2 over channel ch's runs from their moments: per run, Q + 2 (m - mean) D +
    /// s (m - mean)^2 (Σ (x - mean)^2 expanded around m).
    func squaredDeviations(_ moments: UnsafePointer<Double>, channel ch: Int, mean: Double) -> Double {
        var total = 0.0
        for i in 0..<n {
            let run = moments + 3 * (ch * n + i)
            let offset = Double(runMean(run[0])) - mean
            total += run[2] + 2 * offset * run[1] + Double(s) * offset * offset
        }
        return total
    }
}

/// y = gamma * x-hat + beta per channel, x-hat = (x - mean) * invstd, mean and variance from
/// `means` / `variances`, then y = max(0, y) when `rectified` (a NaN stays NaN, as in ReLU);
/// stores invstd = 1 / sqrt(var + eps) per channel. x-hat is not kept: backward forms it again
/// from x, one read instead of a write and a read.
struct ChannelNormalize: RangeJob {
    let shape: BatchNormShape
    let x: UnsafePointer<Float>
    let means: UnsafePointer<Float>
    let variances: UnsafePointer<Float>
    let gamma: UnsafePointer<Float>
    let beta: UnsafePointer<Float>
    let eps: Float
    let rectified: Bool
    let invStd: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        for ch in range {
            let inv = 1 / (variances[ch] + eps).squareRoot()
            invStd[ch] = inv
            let channel = NormalizedChannel(
                mean: means[ch], invStd: inv, gamma: gamma[ch], beta: beta[ch], rectified: rectified)
            for i in 0..<shape.n {
                let base = shape.run(i, ch)
                if rectified {
                    for j in base..<(base + shape.s) {
                        let z = channel.normalized(x[j])
                        y[j] = z <= 0 ? 0 : z
                    }
                } else {
                    for j in base..<(base + shape.s) { y[j] = channel.normalized(x[j]) }
                }
            }
        }
    }
}

/// Per channel: sums[ch] = sum g, sums[C + ch] = sum g * x-hat (= invstd * sum g * (x -
/// mean)), and the parameter gradients dgamma[ch] += sum g * x-hat, dbeta[ch] += sum g, where
/// g = the channel's `gradient(dy)`.
struct ChannelGradientSums: RangeJob {
    let shape: BatchNormShape
    let dy: UnsafePointer<Float>
    let input: NormalizedInput
    let sums: UnsafeMutablePointer<Double>
    let gammaGrad: UnsafeMutablePointer<Float>
    let betaGrad: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        for ch in range {
            var (sumDy, sumDyCentered) = (0.0, 0.0)
            let channel = input.channel(ch)
            for i in 0..<shape.n {
                let base = shape.run(i, ch)
                let (a, b) = laneSumAndCenteredDot(dy + base, input.x + base, channel, shape.s)
                sumDy += a
                sumDyCentered += b
            }
            let sumDyXhat = sumDyCentered * Double(input.invStd[ch])
            gammaGrad[ch] += Float(sumDyXhat)
            betaGrad[ch] += Float(sumDy)
            (sums[ch], sums[shape.c + ch]) = (sumDy, sumDyXhat)
        }
    }
}

/// dx = gamma * invstd * (g - mean(g) - x-hat * mean(g * x-hat)) per channel, g = the channel's
/// `gradient(dy)`, x-hat = (x - mean) * invstd formed again from the forward's input, the
/// means of g and g * x-hat being sums / `count` (batch statistics) or 0 (`count` nil: eval
/// mode, dx = gamma * invstd * g).
struct ChannelInputGradient: RangeJob {
    let shape: BatchNormShape
    let dy: UnsafePointer<Float>
    let input: NormalizedInput
    let sums: UnsafePointer<Double>
    let count: Double?
    let dx: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        for ch in range {
            let channel = input.channel(ch)
            for i in 0..<shape.n {
                let base = shape.run(i, ch)
                guard let count else {
                    let scale = channel.gamma * channel.invStd
                    for j in base..<(base + shape.s) { dx[j] = scale * channel.gradient(dy[j], x: input.x[j]) }
                    continue
                }
                let (meanDy, meanDyXhat) = (Float(sums[ch] / count), Float(sums[shape.c + ch] / count))
                runGradient(channel, meanDy: meanDy, meanDyXhat: meanDyXhat, dy + base, input.x + base, dx + base)
            }
        }
    }

    /// One run of S values with batch statistics: dx = gamma * invstd * (g - meanDy - x-hat *
    /// meanDyXhat).
    @inline(__always)
    private func runGradient(
        _ c: NormalizedChannel, meanDy: Float, meanDyXhat: Float, _ dy: UnsafePointer<Float>,
        _ x: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>
    ) {
        let scale = c.gamma * c.invStd
        var j = 0
        while j + 8 <= shape.s {
            let xv = UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
            let g = c.gradient(UnsafeRawPointer(dy + j).loadUnaligned(as: SIMD8<Float>.self), x: xv)
            let value = scale * (g - meanDy - ((xv - c.mean) * c.invStd) * meanDyXhat)
            UnsafeMutableRawPointer(dx + j).storeBytes(of: value, as: SIMD8<Float>.self)
            j += 8
        }
        while j < shape.s {
            dx[j] = scale * (c.gradient(dy[j], x: x[j]) - meanDy - ((x[j] - c.mean) * c.invStd) * meanDyXhat)
            j += 1
        }
    }
}
