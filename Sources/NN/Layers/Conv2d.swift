/// A 2-D convolution, PyTorch's `nn.Conv2d` (square kernel, dilation 1, groups 1), NCHW.
///
/// weight [out, in, k, k] and bias [out] as PyTorch stores them. Per-sample input [Cin, H, W],
/// output [Cout, Ho, Wo] with Ho = (H + 2*padding - k) / stride + 1 (likewise Wo).
///
/// The batch is processed in chunks of samples: each chunk is unfolded by `im2col` into one
/// matrix [Cin*k*k, n*Ho*Wo] and multiplied by the weight in ONE sgemm; the chunk size keeps
/// that matrix under `maxColumnElements` elements. Work buffers are sized once per batch shape and
/// reused. When the whole batch fits one chunk, backward reuses forward's columns; otherwise
/// it unfolds each chunk again (cheap next to the sgemms).
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

    /// Upper bound on the elements of one chunk's column matrix (16 MB of Float); tests lower
    /// it to exercise several chunks on small inputs.
    var maxColumnElements = 1 << 22

    /// The input of the last `forward`, kept (not copied) for `backward`.
    private var input: Tensor?
    private var geometry: Window2d?
    private var columnsHoldWholeBatch = false
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])
    /// im2col of one chunk, [Cin*k*k, n*Ho*Wo].
    private let columns = Tensor(shape: [0])
    /// Gradient w.r.t. `columns`, same shape.
    private let columnGrad = Tensor(shape: [0])
    /// One chunk's output or upstream gradient in sgemm layout [Cout, n*Ho*Wo].
    private let product = Tensor(shape: [0])

    /// A convolution with zero weight [outChannels, inChannels, k, k] and (when `bias`) zero
    /// bias [outChannels].
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

    public init(inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = true) {
        precondition(inChannels > 0 && outChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
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

    /// Samples per chunk for a batch of `n`.
    private func chunkSize(_ g: Window2d, batch n: Int) -> Int {
        max(1, min(n, maxColumnElements / max(1, g.patchSize * g.outputPlane)))
    }

    /// Unfolds samples `start ..< start+count` of `x` side by side into `columns`.
    private func unfold(_ x: Tensor, _ g: Window2d, start: Int, count: Int) {
        let ld = count * g.outputPlane
        x.data.withUnsafeBufferPointer { xp in
            columns.data.withUnsafeMutableBufferPointer { cp in
                let (src, dst) = (xp.baseAddress!, cp.baseAddress!)
                Parallel.forRanges(count, minimumPerThread: Self.samplesPerThread(g), align: 1) { samples in
                    for i in samples {
                        im2col(src + (start + i) * g.inputCount, g, col: dst + i * g.outputPlane, ldCol: ld)
                    }
                }
            }
        }
    }

    /// Samples per thread below which im2col/col2im of a chunk stay on one thread (about 64K
    /// column elements each).
    private static func samplesPerThread(_ g: Window2d) -> Int { max(1, 65536 / max(1, g.patchSize * g.outputPlane)) }

    /// x [N, Cin, H, W] -> y [N, Cout, Ho, Wo].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        guard let g = cachedWindow(for: x) else {
            preconditionFailure("Conv2d: input \(x.shape) does not fit Conv2d(\(inChannels), \(outChannels), k\(kernelSize))")
        }
        let n = x.batch
        input = x
        geometry = g
        let plane = g.outputPlane
        let chunk = chunkSize(g, batch: n)
        columns.resize(g.patchSize * chunk * plane)
        product.resize(outChannels * chunk * plane)
        output.resize(n, outChannels, g.outHeight, g.outWidth)
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let count = min(chunk, n - start)
            let ld = count * plane
            unfold(x, g, start: start, count: count)
            sgemm(.none, .none, m: outChannels, n: ld, k: g.patchSize, a: weight.value.data, lda: g.patchSize,
                  b: columns.data, ldb: ld, c: &product.data, ldc: ld)
            // [Cout, count, Ho*Wo] -> [count, Cout, Ho*Wo], adding the bias.
            output.data.withUnsafeMutableBufferPointer { y in
                product.data.withUnsafeBufferPointer { p in
                    let biasValues = bias?.value
                    let (yp, pp, cout) = (y.baseAddress!, p.baseAddress!, outChannels)
                    Parallel.forRanges(count, minimumPerThread: max(1, 32768 / max(1, cout * plane)), align: 1) { samples in
                        for i in samples {
                            for co in 0..<cout {
                                let b = biasValues?.data[co] ?? 0
                                let dst = yp + ((start + i) * cout + co) * plane
                                let src = pp + co * ld + i * plane
                                for j in 0..<plane { dst[j] = src[j] + b }
                            }
                        }
                    }
                }
            }
        }
        columnsHoldWholeBatch = chunk >= n
        return output
    }

    /// dy [N, Cout, Ho, Wo] -> dx [N, Cin, H, W]; adds dW += dy * columns^T and db += sum dy.
    public func backward(_ dy: Tensor) -> Tensor {
        backward(dy, inputGradient: true)
        return inputGrad
    }

    /// Runs `body` with the bias gradient's elements (nil without a bias).
    private func withBiasGradient(_ body: (UnsafeMutablePointer<Float>?) -> Void) {
        guard let bias else { return body(nil) }
        bias.grad.data.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// `backward` without dx.
    func backwardParameters(_ dy: Tensor) { backward(dy, inputGradient: false) }

    private func backward(_ dy: Tensor, inputGradient: Bool) {
        guard let x = input, let g = geometry else { preconditionFailure("Conv2d: backward before forward") }
        let n = x.batch
        precondition(dy.shape == output.shape, "Conv2d: dy \(dy.shape), expected \(output.shape)")
        let plane = g.outputPlane
        let chunk = chunkSize(g, batch: n)
        if inputGradient {
            columnGrad.resize(to: columns.shape)
            inputGrad.resize(to: x.shape)
            inputGrad.fill(0)
        }
        for start in Swift.stride(from: 0, to: n, by: chunk) {
            let count = min(chunk, n - start)
            let ld = count * plane
            if !columnsHoldWholeBatch { unfold(x, g, start: start, count: count) }
            // [count, Cout, Ho*Wo] -> [Cout, count, Ho*Wo], summing the bias gradient.
            product.data.withUnsafeMutableBufferPointer { p in
                dy.data.withUnsafeBufferPointer { d in
                    let (pp, dp, cout) = (p.baseAddress!, d.baseAddress!, outChannels)
                    let hasBias = bias != nil
                    withBiasGradient { db in
                        Parallel.forRanges(cout, minimumPerThread: max(1, 32768 / max(1, ld)), align: 1) { channels in
                            for co in channels {
                                var sum: Float = 0
                                for i in 0..<count {
                                    let src = dp + ((start + i) * cout + co) * plane
                                    (pp + co * ld + i * plane).update(from: src, count: plane)
                                    if hasBias { sum += sumOf(src, plane) }
                                }
                                if let db { db[co] += sum }
                            }
                        }
                    }
                }
            }
            sgemm(.none, .transposed, m: outChannels, n: g.patchSize, k: ld, a: product.data, lda: ld,
                  b: columns.data, ldb: ld, beta: 1, c: &weight.grad.data, ldc: g.patchSize)
            guard inputGradient else { continue }
            sgemm(.transposed, .none, m: g.patchSize, n: ld, k: outChannels, a: weight.value.data, lda: g.patchSize,
                  b: product.data, ldb: ld, c: &columnGrad.data, ldc: ld)
            inputGrad.data.withUnsafeMutableBufferPointer { dx in
                columnGrad.data.withUnsafeBufferPointer { cg in
                    let (dxp, cgp) = (dx.baseAddress!, cg.baseAddress!)
                    Parallel.forRanges(count, minimumPerThread: Self.samplesPerThread(g), align: 1) { samples in
                        for i in samples {
                            col2im(cgp + i * plane, g, ldCol: ld, image: dxp + (start + i) * g.inputCount)
                        }
                    }
                }
            }
        }
    }
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
