/// 2-D max pooling, PyTorch's `nn.MaxPool2d` (square window, dilation 1, ceil_mode=False), NCHW.
///
/// Per-sample input [C, H, W], output [C, Ho, Wo] with Ho = (H + 2*padding - k) / stride + 1.
/// Padding never wins (it acts as -infinity). Within a window the FIRST maximum in row-major
/// order is taken (a NaN wins, the last one if several), as PyTorch's CPU kernel does; backward routes
/// each output's gradient to that element, summing where windows overlap.
public final class MaxPool2d: Layer {
    public let kind = "MaxPool2d"
    private var window: PoolingWindow
    public var kernelSize: Int { window.kernelSize }
    public var stride: Int { window.stride }
    public var padding: Int { window.padding }

    private var geometry: Window2d?
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])
    /// For each output element, the index of its maximum inside its input plane [H*W].
    private var argmax: [Int32] = []

    /// Pools k x k windows every `stride` (default k) over an input padded by `padding`
    /// (at most k/2, as PyTorch requires).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        window = PoolingWindow(layer: "MaxPool2d", kernelSize: kernelSize, stride: stride, padding: padding)
    }

    /// [C, H, W] -> [C, Ho, Wo].
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try window.outputShape(for: inputShape)
    }

    /// k*k comparisons per output element: C*Ho*Wo*k*k.
    public func flops(for inputShape: [Int]) -> Int {
        guard let g = try? window.geometry(inputShape) else { return 0 }
        return g.channels * g.outputPlane * kernelSize * kernelSize
    }

    /// x [N, C, H, W] -> y [N, C, Ho, Wo]; remembers each window's argmax.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let g = window.geometry(batch: x)
        geometry = g
        inputShape = x.shape
        let planes = x.batch * g.channels
        output.resize(x.batch, g.channels, g.outHeight, g.outWidth)
        if argmax.count < output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let (h, w, k, s, p) = (g.height, g.width, kernelSize, stride, padding)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    if k == 2, s == 2, p == 0 {
                        Self.pool2x2(xp.baseAddress!, yp.baseAddress!, ap.baseAddress!, planes: planes, g)
                        return
                    }
                    for plane in 0..<planes {
                        let src = xp.baseAddress! + plane * h * w
                        var o = plane * g.outputPlane
                        for oh in 0..<g.outHeight {
                            let h0 = max(0, oh * s - p), h1 = min(h, oh * s - p + k)
                            for ow in 0..<g.outWidth {
                                let w0 = max(0, ow * s - p), w1 = min(w, ow * s - p + k)
                                var best = -Float.infinity
                                var index = h0 * w + w0
                                for ih in h0..<h1 {
                                    for iw in w0..<w1 {
                                        let v = src[ih * w + iw]
                                        if v > best || v.isNaN {
                                            best = v
                                            index = ih * w + iw
                                        }
                                    }
                                }
                                yp[o] = best
                                ap[o] = Int32(index)
                                o += 1
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The common 2x2, stride 2, unpadded case: every window lies inside the input, so no
    /// clipping; the same first-maximum rule (a NaN wins, the last one if several) as the
    /// general loop, as vector selects eight windows at a time (no data-dependent branches).
    private static func pool2x2(
        _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ argmax: UnsafeMutablePointer<Int32>,
        planes: Int, _ g: Window2d
    ) {
        let (h, w, ho, wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let lanes = SIMD8<Int32>(0, 2, 4, 6, 8, 10, 12, 14)
        Parallel.forRanges(planes, minimumPerThread: max(1, 32768 / max(1, h * w)), align: 1) { range in
            for plane in range {
                let src = x + plane * h * w
                var o = plane * ho * wo
                for oh in 0..<ho {
                    let r0 = src + 2 * oh * w
                    let r1 = r0 + w
                    let i0 = Int32(2 * oh * w)
                    var ow = 0
                    while ow + 8 <= wo {
                        let top = UnsafeRawPointer(r0 + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                        let bottom = UnsafeRawPointer(r1 + 2 * ow).loadUnaligned(as: SIMD16<Float>.self)
                        let first = SIMD8<Int32>(repeating: i0 + Int32(2 * ow)) &+ lanes
                        var best = top.evenHalf
                        var index = first
                        challenge(&best, &index, with: top.oddHalf, at: first &+ 1)
                        challenge(&best, &index, with: bottom.evenHalf, at: first &+ Int32(w))
                        challenge(&best, &index, with: bottom.oddHalf, at: first &+ Int32(w + 1))
                        UnsafeMutableRawPointer(y + o).storeBytes(of: best, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(argmax + o).storeBytes(of: index, as: SIMD8<Int32>.self)
                        o += 8
                        ow += 8
                    }
                    while ow < wo {
                        let a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1]
                        var best = a
                        var index = i0 + Int32(2 * ow)
                        if b > best || b.isNaN { best = b; index = i0 + Int32(2 * ow + 1) }
                        if c > best || c.isNaN { best = c; index = i0 + Int32(w + 2 * ow) }
                        if d > best || d.isNaN { best = d; index = i0 + Int32(w + 2 * ow + 1) }
                        y[o] = best
                        argmax[o] = index
                        o += 1
                        ow += 1
                    }
                }
            }
        }
    }

    /// Lanes where `value` beats `best` (greater, or NaN) take `value` and `candidate`.
    @inline(__always)
    private static func challenge(
        _ best: inout SIMD8<Float>, _ index: inout SIMD8<Int32>, with value: SIMD8<Float>, at candidate: SIMD8<Int32>
    ) {
        let wins = (value .> best) .| (value .!= value)
        best.replace(with: value, where: wins)
        index.replace(with: candidate, where: wins)
    }

    /// Backward, plane by plane over the cores: clears the plane, then adds each dy to its
    /// window's argmax (summing where windows overlap).
    private static func unpool(
        _ dy: UnsafePointer<Float>, _ argmax: UnsafePointer<Int32>, _ dx: UnsafeMutablePointer<Float>,
        planes: Int, _ g: Window2d
    ) {
        let (planeIn, planeOut) = (g.height * g.width, g.outputPlane)
        Parallel.forRanges(planes, minimumPerThread: max(1, 32768 / max(1, planeIn)), align: 1) { range in
            for plane in range {
                let dst = dx + plane * planeIn
                dst.update(repeating: 0, count: planeIn)
                for o in (plane * planeOut)..<((plane + 1) * planeOut) { dst[Int(argmax[o])] += dy[o] }
            }
        }
    }

    /// dy [N, C, Ho, Wo] -> dx [N, C, H, W]: each dy goes to its window's argmax.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let g = geometry else { preconditionFailure("MaxPool2d: backward before forward") }
        precondition(dy.shape == output.shape, "MaxPool2d: dy \(dy.shape), expected \(output.shape)")
        inputGrad.resize(to: inputShape)
        inputGrad.data.withUnsafeMutableBufferPointer { dx in
            dy.data.withUnsafeBufferPointer { d in
                argmax.withUnsafeBufferPointer { ap in
                    Self.unpool(d.baseAddress!, ap.baseAddress!, dx.baseAddress!, planes: dy.batch * g.channels, g)
                }
            }
        }
        return inputGrad
    }
}
