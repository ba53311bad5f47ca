/// 2-D average pooling, PyTorch's `nn.AvgPool2d` with its defaults (count_include_pad=True,
/// ceil_mode=False), square window, NCHW.
///
/// Per-sample input [C, H, W], output [C, Ho, Wo] with Ho = (H + 2*padding - k) / stride + 1.
/// Padding counts as zeros, so every window divides by k*k (with ceil_mode=False no window
/// reaches past the padded input, where PyTorch would divide by less).
public final class AvgPool2d: Layer {
    public let kind = "AvgPool2d"
    private var window: PoolingWindow
    public var kernelSize: Int { window.kernelSize }
    public var stride: Int { window.stride }
    public var padding: Int { window.padding }

    private var geometry: Window2d?
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// Averages k x k windows every `stride` (default k) over an input zero-padded by `padding`
    /// (at most k/2, as PyTorch requires).
    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        window = PoolingWindow(layer: "AvgPool2d", kernelSize: kernelSize, stride: stride, padding: padding)
    }

    /// [C, H, W] -> [C, Ho, Wo].
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        try window.outputShape(for: inputShape)
    }

    /// k*k additions and one division per output element: C*Ho*Wo*(k*k + 1).
    public func flops(for inputShape: [Int]) -> Int {
        guard let g = try? window.geometry(inputShape) else { return 0 }
        return g.channels * g.outputPlane * (kernelSize * kernelSize + 1)
    }

    /// x [N, C, H, W] -> y [N, C, Ho, Wo].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let g = window.geometry(batch: x)
        geometry = g
        inputShape = x.shape
        output.resize(x.batch, g.channels, g.outHeight, g.outWidth)
        let scale = 1 / Float(kernelSize * kernelSize)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                for plane in 0..<(x.batch * g.channels) {
                    let src = xp.baseAddress! + plane * g.height * g.width
                    var o = plane * g.outputPlane
                    forEachWindow(g) { rows, cols in
                        var sum: Float = 0
                        for ih in rows {
                            for iw in cols { sum += src[ih * g.width + iw] }
                        }
                        yp[o] = sum * scale
                        o += 1
                    }
                }
            }
        }
        return output
    }

    /// dy [N, C, Ho, Wo] -> dx [N, C, H, W]: each dy spread evenly (1/k^2) over its window.
    public func backward(_ dy: Tensor) -> Tensor {
        guard let g = geometry else { preconditionFailure("AvgPool2d: backward before forward") }
        precondition(dy.shape == output.shape, "AvgPool2d: dy \(dy.shape), expected \(output.shape)")
        inputGrad.resize(to: inputShape)
        inputGrad.fill(0)
        let scale = 1 / Float(kernelSize * kernelSize)
        inputGrad.data.withUnsafeMutableBufferPointer { dx in
            dy.data.withUnsafeBufferPointer { d in
                for plane in 0..<(inputShape[0] * g.channels) {
                    let dst = dx.baseAddress! + plane * g.height * g.width
                    var o = plane * g.outputPlane
                    forEachWindow(g) { rows, cols in
                        let share = d[o] * scale
                        for ih in rows {
                            for iw in cols { dst[ih * g.width + iw] += share }
                        }
                        o += 1
                    }
                }
            }
        }
        return inputGrad
    }

    /// Calls `body` with the in-bounds rows and columns of each window, in output order.
    @inline(__always)
    private func forEachWindow(_ g: Window2d, _ body: (Range<Int>, Range<Int>) -> Void) {
        for oh in 0..<g.outHeight {
            let rows = max(0, oh * stride - padding)..<min(g.height, oh * stride - padding + kernelSize)
            for ow in 0..<g.outWidth {
                body(rows, max(0, ow * stride - padding)..<min(g.width, ow * stride - padding + kernelSize))
            }
        }
    }
}
