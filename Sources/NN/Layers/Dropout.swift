import CKernels

/// Inverted dropout, PyTorch's `nn.Dropout(p)`: in training each element is zeroed with
/// probability p and the kept ones are scaled by 1/(1-p), so eval (the identity) needs no
/// rescaling. Any shape.
///
/// The mask is drawn from the layer's own `rng`, one `nextUnit()` per element in order
/// (kept when the draw is >= p); save and restore `rng` to replay the same masks.
///
/// Data-parallel, `shard` says where this rank's samples sit in the global batch: local sample j
/// is global sample `rank + j * size`, and its elements get the draws one process would give that
/// sample; the generator then moves past the whole global batch. So every rank keeps the same
/// generator state and the masks are those of one process.
public final class Dropout: Layer {
    public let kind = "Dropout"
    /// Probability of zeroing an element, in [0, 1).
    public let p: Float
    /// The generator of the masks; its state is the layer's only state.
    public var rng: SplitMix64
    /// This rank's place in the global batch of the next forwards; nil: the batch is all there is.
    public var shard: BatchShard?

    /// Per element of the last training forward: 0 or 1/(1-p).
    private let mask = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// Drops with probability `p`, which must be in [0, 1) (the run config validates it first).
    public init(p: Float, rng: SplitMix64) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), found \(p)")
        self.p = p
        self.rng = rng
    }

    /// Any per-sample shape, unchanged.
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    /// One multiplication per element.
    public func flops(for inputShape: [Int]) -> Int { inputShape.reduce(1, *) }

    /// Elements per thread below which the mask is drawn on one thread.
    private static let elementsPerThread = 1 << 13

    /// Whether the last forward was in training mode (else backward is the identity).
    private var masked = false

    /// x [N, ...] -> y, same shape: x * mask in training; x itself in eval.
    /// Element i's draw is the generator's (i+1)-th from its state, so the mask is drawn in
    /// parallel ranges with exactly the bits of a sequential draw.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        masked = training
        guard training else { return x }
        mask.resize(to: x.shape)
        output.resize(to: x.shape)
        let (scale, p, generator) = (1 / (1 - self.p), self.p, rng)
        let perSample = x.batch == 0 ? 0 : x.count / x.batch
        let place = shard ?? BatchShard(rank: 0, size: 1, globalBatch: x.batch)
        mask.data.withUnsafeMutableBufferPointer { m in
            output.data.withUnsafeMutableBufferPointer { y in
                x.data.withUnsafeBufferPointer { xp in
                    Parallel.forRanges(
                        xp.count, minimumPerThread: Self.elementsPerThread,
                        DropoutMask(
                            generator: generator, p: p, scale: scale, perSample: perSample, shard: place,
                            x: xp.baseAddress!, mask: m.baseAddress!, y: y.baseAddress!))
                }
            }
        }
        rng.advance(by: place.globalBatch * perSample)
        return output
    }

    /// dy -> dx = dy * mask of the last forward (dy itself after an eval forward).
    public func backward(_ dy: Tensor) -> Tensor {
        guard masked else { return dy }
        precondition(dy.shape == mask.shape, "Dropout: dy \(dy.shape), expected \(mask.shape)")
        inputGrad.resize(to: dy.shape)
        inputGrad.data.withUnsafeMutableBufferPointer { dx in
            dy.data.withUnsafeBufferPointer { d in
                mask.data.withUnsafeBufferPointer { m in
                    Parallel.forRanges(
                        d.count, minimumPerThread: Self.elementsPerThread,
                        Multiply(x: d.baseAddress!, by: m.baseAddress!, into: dx.baseAddress!))
                }
            }
        }
        return inputGrad
    }
}

/// Where a rank's local batch sits in the global batch: local sample j is global sample
/// `rank + j * size` of `globalBatch` (`BatchIterator`'s strided shards).
public struct BatchShard: Sendable {
    public var rank: Int
    public var size: Int
    public var globalBatch: Int

    public init(rank: Int, size: Int, globalBatch: Int) {
        (self.rank, self.size, self.globalBatch) = (rank, size, globalBatch)
    }
}

/// Draws element i's mask from the generator's (g+1)-th draw, g being i's index in the global
/// batch (i itself on one process): mask[i] = 1/(1-p) when the draw is >= p, else 0;
/// y[i] = x[i] * mask[i]. Each run of consecutive draws (the whole range on one process, else
/// the part of one sample) is one `kd_dropout_mask` (8 draws at a time with AVX-512).
private struct DropoutMask: RangeJob {
    let generator: SplitMix64
    let p: Float
    let scale: Float
    let perSample: Int
    let shard: BatchShard
    let x: UnsafePointer<Float>
    let mask: UnsafeMutablePointer<Float>
    let y: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        var i = range.lowerBound
        while i < range.upperBound {
            let (sample, offset) = i.quotientAndRemainder(dividingBy: perSample)
            let end = shard.size == 1 ? range.upperBound : min(range.upperBound, (sample + 1) * perSample)
            let firstDraw = shard.size == 1 ? i : (shard.rank + sample * shard.size) * perSample + offset
            kd_dropout_mask(generator.state, firstDraw, end - i, p, scale, x + i, mask + i, y + i)
            i = end
        }
    }
}

/// out[i] = x[i] * factor[i].
private struct Multiply: RangeJob {
    let x: UnsafePointer<Float>
    let factor: UnsafePointer<Float>
    let out: UnsafeMutablePointer<Float>

    init(x: UnsafePointer<Float>, by factor: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        (self.x, self.factor, self.out) = (x, factor, out)
    }

    func run(_ range: Range<Int>) {
        for i in range { out[i] = x[i] * factor[i] }
    }
}
