/// A 2-D convolution, PyTorch's `nn.Conv2d` (square kernel, dilation 1, groups 1), NCHW.
///
/// weight [out, in, k, k] and bias [out] as PyTorch stores them. Per-sample input [Cin, H, W],
/// output [Cout, Ho, Wo] with Ho = (H + 2*padding - k) / stride + 1 (likewise Wo).
///
/// Sample by sample: `im2col` unfolds one image into columns [Cin*k*k, Ho*Wo] (small enough to
/// stay in cache) and ONE sgemm writes weight [Cout, Cin*k*k] x columns straight into the
/// sample's output [Cout, Ho*Wo], already NCHW, so nothing is transposed. The batch is cut into
/// `blockCount` fixed blocks of consecutive samples, spread over the cores (OpenBLAS on one
/// thread, as always); each block has its own work buffers and its own partial weight and bias
/// gradients, added up in block order, so results do not depend on the number of cores.
/// Backward unfolds each sample again rather than keeping the whole batch's columns.
/// A 3x3 layer with padding 1 and stride 1 or 2 takes `Direct3x3` instead (no columns) when the
/// CPU allows.
public final class Conv2d: Layer, ParameterGradientLayer {
    public let kind = "Conv2d"
    public let inChannels: Int
    public let outChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    /// [out, in, k, k].
    public let weight: Parameter
    /// [out], or nil when built with `bias: false`.
    public let bias: Parameter?

    /// The most blocks a batch is cut into (fewer when the batch is smaller).
    static let blockCount = 8

    /// The input of the last `forward`, kept (not copied) for `backward`.
    private var input: Tensor?
    private var geometry: Window2d?
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])
    /// Per block: one sample's columns [Cin*k*k, Ho*Wo], then their gradient, side by side.
    private let columns = Tensor(shape: [0])
    /// Per block: partial weight gradient [Cout, Cin*k*k], then partial bias gradient [Cout].
    private let partialGradients = Tensor(shape: [0])
    /// The 3x3 stride-1 padding-1 path without columns (`Direct3x3.applies`), with its scratch.
    private let direct = Direct3x3()
    /// Per block: one sample's output [Cout, Ho*Wo], when a max pooling runs inside the forward.
    private let pooledScratch = Tensor(shape: [0])

    /// The geometry of the last forward's input shape, recomputed only when the shape changes
    /// (so a step with an unchanged batch shape builds no shape array).
    private var windowShape: [Int] = []
    private var windowCache: Window2d?

    private func cachedWindow(for x: Tensor) -> Window2d? {
        if x.shape != windowShape {
            windowShape = x.shape
            windowCache = try? window(Array(x.shape.dropFirst()))
        }
        return windowCache
    }

    /// A convolution with zero weight [outChannels, inChannels, k, k] and (when `bias`) zero
    /// bias [outChannels].
    public init(
        inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
        bias: Bool = true
    ) {
        precondition(
            inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
            "Conv2d: channels, kernel and stride must be positive, padding non-negative")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        weight = Parameter(name: "weight", value: Tensor(shape: [outChannels, inChannels, kernelSize, kernelSize]))
        self.bias = bias ? Parameter(name: "bias", value: Tensor(shape: [outChannels])) : nil
    }

    /// weight, then bias (state_dict order).
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    private func window(_ inputShape: [Int]) throws -> Window2d {
        let g = try Window2d("Conv2d", inputShape: inputShape, kernel: kernelSize, stride: stride, padding: padding)
        guard g.channels == inChannels else {
            throw ShapeError("Conv2d expects \(inChannels) input channels, found \(g.channels) (shape \(inputShape))")
        }
        return g
    }

    /// [Cin, H, W] -> [Cout, Ho, Wo]; throws on a channel mismatch or a kernel larger than the
    /// padded input.
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        let g = try window(inputShape)
        return [outChannels, g.outHeight, g.outWidth]
    }

    /// 2*Cin*k*k*Cout*Ho*Wo multiply-adds, plus Cout*Ho*Wo bias additions.
    public func flops(for inputShape: [Int]) -> Int {
        guard let g = try? window(inputShape) else { return 0 }
        return (2 * g.patchSize + (bias == nil ? 0 : 1)) * outChannels * g.outputPlane
    }

    /// Whether `forward(_:training:pooledBy:rectified:)` takes inputs of this per-sample shape:
    /// the im2col path (not `Direct3x3`).
    func canPoolOutput(forInputShape inputShape: [Int]) -> Bool {
        (try? window(inputShape)).map { !Direct3x3.applies(to: $0) } ?? false
    }

    /// x [N, Cin, H, W] -> pool's y [N, Cout, Ho', Wo'] = pool(y) (max(0, pool(y)) when
    /// `rectified`): each sample's output goes to a block scratch and is pooled from there while
    /// it is in cache, so the full-size y is never written. `pool` is left as its own forward of
    /// y would leave it, and `backward` takes dy [N, Cout, Ho, Wo] as usual (the pooling's
    /// backward gives it). For shapes where `canPoolOutput`.
    func forward(_ x: Tensor, training: Bool, pooledBy pool: MaxPool2d, rectified: Bool) -> Tensor {
        forward(x, pooling: (pool, rectified))
    }

    /// x [N, Cin, H, W] -> y [N, Cout, Ho, Wo].
    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, pooling: nil) }

    private func forward(_ x: Tensor, pooling: (layer: MaxPool2d, rectified: Bool)?) -> Tensor {
        guard let g = cachedWindow(for: x) else {
            preconditionFailure(
                "Conv2d: input \(x.shape) does not fit Conv2d(\(inChannels), \(outChannels), k\(kernelSize))")
        }
        input = x
        geometry = g
        output.resize(x.batch, outChannels, g.outHeight, g.outWidth)
        if Direct3x3.applies(to: g) {
            precondition(pooling == nil, "Conv2d: the direct 3x3 path runs no pooling inside")
            x.data.withUnsafeBufferPointer { xp in
                output.data.withUnsafeMutableBufferPointer { yp in
                    weight.value.data.withUnsafeBufferPointer { wp in
                        withBias { bp in
                            direct.forward(
                                xp.baseAddress!, batch: x.batch, geometry: g, weight: wp.baseAddress!, bias: bp,
                                outChannels: outChannels, y: yp.baseAddress!)
                        }
                    }
                }
            }
            return output
        }
        columns.resize(Self.blockCount * 2 * g.patchSize * g.outputPlane)
        let blocks = SampleBlocks(batch: x.batch, count: min(x.batch, Self.blockCount))
        guard let pooling else {
            output.data.withUnsafeMutableBufferPointer { yp in
                convolveBlocks(x, g, blocks, into: .output(yp.baseAddress!))
            }
            return output
        }
        pooledScratch.resize(Self.blockCount * outChannels * g.outputPlane)
        return pooledScratch.data.withUnsafeMutableBufferPointer { sp in
            pooling.layer.forward(batchShape: output.shape, rectified: pooling.rectified) { planes in
                convolveBlocks(x, g, blocks, into: .pooled(planes, scratch: sp.baseAddress!))
            }
        }
    }

    /// Runs `ConvolveBlocks` over the batch's blocks on the cores.
    private func convolveBlocks(_ x: Tensor, _ g: Window2d, _ blocks: SampleBlocks, into target: ConvolutionTarget) {
        x.data.withUnsafeBufferPointer { xp in
            columns.data.withUnsafeMutableBufferPointer { cp in
                weight.value.data.withUnsafeBufferPointer { wp in
                    withBias { bp in
                        let job = ConvolveBlocks(
                            geometry: g, outChannels: outChannels, blocks: blocks,
                            x: xp.baseAddress!, weight: wp.baseAddress!, bias: bp, columns: cp.baseAddress!,
                            target: target)
                        Parallel.forRanges(blocks.count, minimumPerThread: 1, align: 1, job)
                    }
                }
            }
        }
    }

    /// Runs `body` with the bias's elements (nil without a bias).
    private func withBias(_ body: (UnsafePointer<Float>?) -> Void) {
        guard let bias else { return body(nil) }
        bias.value.data.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// dy [N, Cout, Ho, Wo] -> dx [N, Cin, H, W]; adds dW += dy * columns^T and db += sum dy.
    public func backward(_ dy: Tensor) -> Tensor {
        backward(dy, inputGradient: true)
        return inputGrad
    }

    /// `backward` without dx.
    func backwardParameters(_ dy: Tensor) { backward(dy, inputGradient: false) }

    private func backward(_ dy: Tensor, inputGradient: Bool) {
        guard let x = input, let g = geometry else { preconditionFailure("Conv2d: backward before forward") }
        precondition(dy.shape == output.shape, "Conv2d: dy \(dy.shape), expected \(output.shape)")
        let gradientSize = outChannels * g.patchSize + outChannels
        partialGradients.resize(Self.blockCount * gradientSize)
        if inputGradient { inputGrad.resize(to: x.shape) }
        let direct = Direct3x3.applies(to: g)
        // A direct forward left im2col's columns unsized.
        if !direct { columns.resize(Self.blockCount * 2 * g.patchSize * g.outputPlane) }
        let blocks = SampleBlocks(batch: x.batch, count: min(x.batch, Self.blockCount))
        x.data.withUnsafeBufferPointer { xp in
            dy.data.withUnsafeBufferPointer { dyp in
                columns.data.withUnsafeMutableBufferPointer { cp in
                    partialGradients.data.withUnsafeMutableBufferPointer { pp in
                        inputGrad.data.withUnsafeMutableBufferPointer { dxp in
                            weight.value.data.withUnsafeBufferPointer { wp in
                                if direct {
                                    self.direct.backward(
                                        xp.baseAddress!, dy: dyp.baseAddress!, batch: x.batch, geometry: g,
                                        weight: wp.baseAddress!, outChannels: outChannels,
                                        partialGradients: pp.baseAddress!, gradientSize: gradientSize,
                                        biasGradient: bias != nil, dx: inputGradient ? dxp.baseAddress : nil)
                                } else {
                                    let job = ConvolveBlocksBackward(
                                        geometry: g, outChannels: outChannels, blocks: blocks,
                                        x: xp.baseAddress!, dy: dyp.baseAddress!, weight: wp.baseAddress!,
                                        columns: cp.baseAddress!, partialGradients: pp.baseAddress!,
                                        biasGradient: bias != nil, dx: inputGradient ? dxp.baseAddress : nil)
                                    Parallel.forRanges(blocks.count, minimumPerThread: 1, align: 1, job)
                                }
                                addPartialGradients(
                                    pp.baseAddress!, blocks: blocks.count, gradientSize: gradientSize,
                                    patch: g.patchSize)
                            }
                        }
                    }
                }
            }
        }
    }

    /// weight.grad += Σ blocks' dW and bias.grad += Σ blocks' db, block 0 first.
    private func addPartialGradients(_ partial: UnsafePointer<Float>, blocks: Int, gradientSize: Int, patch: Int) {
        let weightCount = outChannels * patch
        weight.grad.data.withUnsafeMutableBufferPointer { gw in
            for block in 0..<blocks { addElements(partial + block * gradientSize, to: gw.baseAddress!, weightCount) }
        }
        bias?.grad.data.withUnsafeMutableBufferPointer { gb in
            for block in 0..<blocks {
                addElements(partial + block * gradientSize + weightCount, to: gb.baseAddress!, outChannels)
            }
        }
    }
}

/// A batch of `batch` samples cut into `count` blocks of consecutive samples.
struct SampleBlocks {
    let batch: Int
    let count: Int

    /// Block b's samples: b*N/count ..< (b+1)*N/count.
    func samples(_ block: Int) -> Range<Int> { (block * batch / count)..<((block + 1) * batch / count) }
}

/// Where `ConvolveBlocks` puts each sample's output [Cout, Ho*Wo]: into y [N, Cout, Ho, Wo], or
/// into its block's part of a scratch [blocks, Cout, Ho*Wo], pooled from there.
private enum ConvolutionTarget {
    case output(UnsafeMutablePointer<Float>)
    case pooled(PlanePooling, scratch: UnsafeMutablePointer<Float>)
}

/// The forward of a range of blocks of consecutive samples: per sample, `im2col` into the block's
/// own column buffer [Cin*k*k, Ho*Wo], the output rows set to the bias, then one sgemm adding
/// weight x columns into the sample's output [Cout, Ho*Wo] (pooled right after, when the target
/// says so).
private struct ConvolveBlocks: RangeJob {
    let geometry: Window2d
    let outChannels: Int
    let blocks: SampleBlocks
    /// [N, Cin, H, W].
    let x: UnsafePointer<Float>
    /// [Cout, Cin*k*k].
    let weight: UnsafePointer<Float>
    /// [Cout], or nil.
    let bias: UnsafePointer<Float>?
    /// Per block: 2 * Cin*k*k * Ho*Wo (the first half used here).
    let columns: UnsafeMutablePointer<Float>
    let target: ConvolutionTarget

    func run(_ range: Range<Int>) {
        let (plane, patch, cout) = (geometry.outputPlane, geometry.patchSize, outChannels)
        for block in range {
            let blockColumns = columns + block * 2 * patch * plane
            for i in blocks.samples(block) {
                im2col(x + i * geometry.inputCount, geometry, col: blockColumns, ldCol: plane)
                let yi: UnsafeMutablePointer<Float>
                switch target {
                case .output(let y): yi = y + i * cout * plane
                case .pooled(_, let scratch): yi = scratch + block * cout * plane
                }
                if let bias {
                    for co in 0..<cout { (yi + co * plane).update(repeating: bias[co], count: plane) }
                }
                sgemm(
                    .none, .none, m: cout, n: plane, k: patch, a: weight, lda: patch,
                    b: blockColumns, ldb: plane, beta: bias == nil ? 0 : 1, c: yi, ldc: plane)
                if case .pooled(let pooling, _) = target {
                    pooling.reading(yi, firstPlane: i * cout).run((i * cout)..<((i + 1) * cout))
                }
            }
        }
    }
}

/// The backward of a range of blocks (as `ConvolveBlocks`): per sample, `im2col` again and the
/// block's partial dW += dy_i x columns^T, with a bias db += Σ dy_i, and (when `dx` is given)
/// dx_i = col2im(weight^T x dy_i).
private struct ConvolveBlocksBackward: RangeJob {
    let geometry: Window2d
    let outChannels: Int
    let blocks: SampleBlocks
    /// [N, Cin, H, W].
    let x: UnsafePointer<Float>
    /// [N, Cout, Ho, Wo].
    let dy: UnsafePointer<Float>
    /// [Cout, Cin*k*k].
    let weight: UnsafePointer<Float>
    /// Per block: columns [Cin*k*k, Ho*Wo], then their gradient.
    let columns: UnsafeMutablePointer<Float>
    /// Per block: dW [Cout, Cin*k*k], then db [Cout]; cleared here.
    let partialGradients: UnsafeMutablePointer<Float>
    /// Whether db is summed (layers with a bias).
    let biasGradient: Bool
    /// [N, Cin, H, W], or nil when no input gradient is wanted.
    let dx: UnsafeMutablePointer<Float>?

    func run(_ range: Range<Int>) {
        let (plane, patch, cout) = (geometry.outputPlane, geometry.patchSize, outChannels)
        let gradientSize = cout * patch + cout
        for block in range {
            let blockColumns = columns + block * 2 * patch * plane
            let blockColumnGrad = blockColumns + patch * plane
            let (dW, db) = (
                partialGradients + block * gradientSize, partialGradients + block * gradientSize + cout * patch
            )
            dW.update(repeating: 0, count: cout * patch)
            db.update(repeating: 0, count: cout)
            for i in blocks.samples(block) {
                let dyi = dy + i * cout * plane
                im2col(x + i * geometry.inputCount, geometry, col: blockColumns, ldCol: plane)
                sgemm(
                    .none, .transposed, m: cout, n: patch, k: plane, a: dyi, lda: plane,
                    b: blockColumns, ldb: plane, beta: 1, c: dW, ldc: patch)
                if biasGradient { for co in 0..<cout { db[co] += sumOf(dyi + co * plane, plane) } }
                guard let dx else { continue }
                sgemm(
                    .transposed, .none, m: patch, n: plane, k: cout, a: weight, lda: patch,
                    b: dyi, ldb: plane, c: blockColumnGrad, ldc: plane)
                let dxi = dx + i * geometry.inputCount
                dxi.update(repeating: 0, count: geometry.inputCount)
                col2im(blockColumnGrad, geometry, ldCol: plane, image: dxi)
            }
        }
    }
}

/// y[0..<count] += x[0..<count].
@inline(__always)
func addElements(_ x: UnsafePointer<Float>, to y: UnsafeMutablePointer<Float>, _ count: Int) {
    for j in 0..<count { y[j] += x[j] }
}

/// Σ x[0..<count], eight partial sums at a time (vectorised; the order is fixed, so the result
/// is the same on every run).
@inline(__always)
func sumOf(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc = SIMD8<Float>()
    var j = 0
    while j + 8 <= count {
        acc += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
        j += 8
    }
    var sum = acc.sum()
    while j < count {
        sum += x[j]
        j += 1
    }
    return sum
}
