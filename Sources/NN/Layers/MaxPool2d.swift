/// 2-D max pooling, PyTorch's `nn.MaxPool2d` (square window, dilation 1, ceil_mode=False), NCHW.
///
/// Per-sample input [C, H, W], output [C, Ho, Wo] with Ho = (H + 2*padding - k) / stride + 1.
/// Padding never wins (it acts as -infinity). Within a window the FIRST maximum in row-major
/// order is taken (a NaN wins, the last one if several), as PyTorch's CPU kernel does; backward routes
/// each output's gradient to that element, summing where windows overlap.
///
/// A ReLU just before it can run inside its passes (`Sequential` does this): max(0, max(x)) is
/// max(max(0, x)), and while the maximum is positive its first position is the same in x and in
/// max(0, x), so the output and the input gradient equal the two layers run apart, bit for bit.
public final class MaxPool2d: Layer, RectifyingLayer {
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
    /// Whether the last forward rectified its output (a ReLU before it, fused in by `Sequential`).
    private var rectified = false

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
    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, training: training, rectified: false) }

    /// `forward`, then y = max(0, y) in the same pass when `rectified` (the work of a ReLU before
    /// this layer; `backward` then passes on dy only where y > 0, as that ReLU's backward would).
    func forward(_ x: Tensor, training: Bool, rectified: Bool) -> Tensor {
        x.data.withUnsafeBufferPointer { xp in
            forward(batchShape: x.shape, rectified: rectified) { pooling in
                Parallel.forRanges(
                    pooling.planes, minimumPerThread: Self.planesPerThread(pooling.geometry), align: 1,
                    pooling.reading(xp.baseAddress!, firstPlane: 0))
            }
        }
    }

    /// A forward over an input [N, C, H, W] (`batchShape`) that exists only piece by piece:
    /// `fill` gets the pooling of whole planes and runs it on every plane, reading each from
    /// wherever it is (`PlanePooling.reading`), e.g. a convolution pooling each sample's output
    /// while it is in cache. Leaves the layer as `forward` would; returns y.
    func forward(batchShape: [Int], rectified: Bool, _ fill: (PlanePooling) -> Void) -> Tensor {
        let g = window.geometry(batchShape: batchShape)
        geometry = g
        inputShape = batchShape
        self.rectified = rectified
        output.resize(batchShape[0], g.channels, g.outHeight, g.outWidth)
        if argmax.count < output.count { argmax = [Int32](repeating: 0, count: output.count) }
        output.data.withUnsafeMutableBufferPointer { yp in
            argmax.withUnsafeMutableBufferPointer { ap in
                fill(
                    PlanePooling(
                        y: yp.baseAddress!, argmax: ap.baseAddress!, geometry: g, planes: batchShape[0] * g.channels,
                        rectified: rectified))
            }
        }
        return output
    }

    /// Planes per thread below which a pass stays on one thread (about 32k input elements).
    private static func planesPerThread(_ g: Window2d) -> Int { max(1, 32768 / max(1, g.height * g.width)) }

    /// dy [N, C, Ho, Wo] -> dx [N, C, H, W]: each dy goes to its window's argmax (after a
    /// rectified forward, only where y > 0).
    public func backward(_ dy: Tensor) -> Tensor {
        guard let g = geometry else { preconditionFailure("MaxPool2d: backward before forward") }
        precondition(dy.shape == output.shape, "MaxPool2d: dy \(dy.shape), expected \(output.shape)")
        inputGrad.resize(to: inputShape)
        inputGrad.data.withUnsafeMutableBufferPointer { dx in
            dy.data.withUnsafeBufferPointer { d in
                argmax.withUnsafeBufferPointer { ap in
                    output.data.withUnsafeBufferPointer { y in
                        Parallel.forRanges(
                            dy.batch * g.channels, minimumPerThread: Self.planesPerThread(g), align: 1,
                            Unpool(
                                dy: d.baseAddress!, argmax: ap.baseAddress!, dx: dx.baseAddress!, geometry: g,
                                rectifiedOutput: rectified ? y.baseAddress! : nil))
                    }
                }
            }
        }
        return inputGrad
    }
}

/// Max pooling of whole [H, W] planes into y [N*C, Ho, Wo] and the argmax of each window (its
/// index inside its plane): the `planes` planes of a batch, each read wherever it is
/// (`reading`); y = max(0, y) when `rectified`.
struct PlanePooling {
    let y: UnsafeMutablePointer<Float>
    let argmax: UnsafeMutablePointer<Int32>
    let geometry: Window2d
    /// N * C.
    let planes: Int
    let rectified: Bool

    /// The job pooling planes p (of the batch's N*C) read at source + (p - firstPlane) * H * W.
    func reading(_ source: UnsafePointer<Float>, firstPlane: Int) -> PoolPlanes {
        PoolPlanes(pooling: self, source: source, firstPlane: firstPlane)
    }
}

/// `PlanePooling` of a range of planes. A 2x2 window with stride 2 and no padding over rows of
/// at least 4 windows goes eight windows at a time as vector selects (see `WindowOctets`); any
/// other window, one at a time. The first maximum in row-major order wins (a NaN wins, the last
/// one if several).
struct PoolPlanes: RangeJob {
    let pooling: PlanePooling
    let source: UnsafePointer<Float>
    let firstPlane: Int

    func run(_ planes: Range<Int>) {
        let g = pooling.geometry
        if g.kernel == 2, g.stride == 2, g.padding == 0, g.outWidth >= 4 {
            for plane in planes { pool2x2(plane) }
        } else {
            for plane in planes { poolWindows(plane) }
        }
    }

    /// Plane `plane`'s input.
    private func input(_ plane: Int) -> UnsafePointer<Float> {
        source + (plane - firstPlane) * pooling.geometry.height * pooling.geometry.width
    }

    private func pool2x2(_ plane: Int) {
        let (w, ho, wo) = (pooling.geometry.width, pooling.geometry.outHeight, pooling.geometry.outWidth)
        let (x, y, argmax) = (input(plane), pooling.y, pooling.argmax)
        for oh in 0..<ho {
            let (top, o, rowFirst) = (x + 2 * oh * w, (plane * ho + oh) * wo, Int32(2 * oh * w))
            let bottom = top + w
            for octet in WindowOctets(windows: wo) {
                let (a, b, first) = (octet.a, octet.b, octet.firstElements(rowFirst))
                let t = SIMD16(lowHalf: load8(top + 2 * a), highHalf: load8(top + 2 * b))
                let u = SIMD16(lowHalf: load8(bottom + 2 * a), highHalf: load8(bottom + 2 * b))
                var best = t.evenHalf
                var at = first
                challenge(&best, &at, with: t.oddHalf, at: first &+ 1)
                challenge(&best, &at, with: u.evenHalf, at: first &+ Int32(w))
                challenge(&best, &at, with: u.oddHalf, at: first &+ Int32(w + 1))
                if pooling.rectified { best.replace(with: 0, where: best .<= 0) }
                store4(best.lowHalf, y + o + a)
                store4(best.highHalf, y + o + b)
                store4(at.lowHalf, argmax + o + a)
                store4(at.highHalf, argmax + o + b)
            }
        }
    }

    /// Lanes where `value` beats `best` (greater, or NaN) take `value` and `candidate`.
    @inline(__always)
    private func challenge(
        _ best: inout SIMD8<Float>, _ index: inout SIMD8<Int32>, with value: SIMD8<Float>,
        at candidate: SIMD8<Int32>
    ) {
        let wins = (value .> best) .| (value .!= value)
        best.replace(with: value, where: wins)
        index.replace(with: candidate, where: wins)
    }

    private func poolWindows(_ plane: Int) {
        let g = pooling.geometry
        let (h, w, k, s, p) = (g.height, g.width, g.kernel, g.stride, g.padding)
        let src = input(plane)
        var o = plane * g.outputPlane
        for oh in 0..<g.outHeight {
            let h0 = max(0, oh * s - p)
            let h1 = min(h, oh * s - p + k)
            for ow in 0..<g.outWidth {
                let w0 = max(0, ow * s - p)
                let w1 = min(w, ow * s - p + k)
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
                pooling.y[o] = pooling.rectified && best <= 0 ? 0 : best
                pooling.argmax[o] = Int32(index)
                o += 1
            }
        }
    }
}

/// The backward of max pooling for a range of planes: clears each plane (small enough to stay
/// in cache), then adds each dy to its window's argmax (summing where windows overlap). After a
/// rectified forward, `rectifiedOutput` is its y, and a dy passes only where y > 0.
private struct Unpool: RangeJob {
    let dy: UnsafePointer<Float>
    let argmax: UnsafePointer<Int32>
    let dx: UnsafeMutablePointer<Float>
    let geometry: Window2d
    let rectifiedOutput: UnsafePointer<Float>?

    func run(_ planes: Range<Int>) {
        let (planeIn, planeOut) = (geometry.height * geometry.width, geometry.outputPlane)
        for plane in planes {
            let dst = dx + plane * planeIn
            dst.update(repeating: 0, count: planeIn)
            let outputs = (plane * planeOut)..<((plane + 1) * planeOut)
            if let y = rectifiedOutput {
                for o in outputs { dst[Int(argmax[o])] += y[o] > 0 ? dy[o] : 0 }
            } else {
                for o in outputs { dst[Int(argmax[o])] += dy[o] }
            }
        }
    }
}

/// The vectors of 8 windows covering a row of `windows` >= 4 windows: each is two groups of 4
/// consecutive windows, starting at windows `a` and `b` (lanes 0-3 and 4-7). Groups are side
/// by side (b = a + 4) along the row; the last vector is moved back to end at the row's end,
/// overlapping the one before (recomputing a window writes the same values), and a row of 4 to
/// 7 windows is one vector of its first and last 4.
private struct WindowOctets: Sequence, IteratorProtocol {
    struct Octet {
        let a: Int
        let b: Int

        /// Each lane's window's top-left element, as an index inside the plane, for a row whose
        /// first window's top-left element is `first`.
        func firstElements(_ first: Int32) -> SIMD8<Int32> {
            SIMD8(lowHalf: SIMD4(repeating: first &+ Int32(2 * a)), highHalf: SIMD4(repeating: first &+ Int32(2 * b)))
                &+ SIMD8(0, 2, 4, 6, 0, 2, 4, 6)
        }
    }

    let windows: Int
    /// Where the next vector starts; -1 when done.
    private var start = 0

    init(windows: Int) {
        precondition(windows >= 4, "WindowOctets: a row of \(windows) windows is narrower than one vector")
        self.windows = windows
    }

    mutating func next() -> Octet? {
        guard start >= 0 else { return nil }
        if windows < 8 {
            start = -1
            return Octet(a: 0, b: windows - 4)
        }
        let a = Swift.min(start, windows - 8)
        start = a + 8 >= windows ? -1 : a + 8
        return Octet(a: a, b: a + 4)
    }
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func store4<T: SIMDScalar>(_ v: SIMD4<T>, _ p: UnsafeMutablePointer<T>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<T>.self)
}
