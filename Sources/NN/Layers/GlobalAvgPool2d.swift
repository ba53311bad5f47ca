/// Global average pooling: each channel's H x W plane averaged to one value, [C, H, W] -> [C]
/// per sample (PyTorch's `nn.AdaptiveAvgPool2d(1)` followed by `flatten(1)`).
public final class GlobalAvgPool2d: Layer {
    public let kind = "GlobalAvgPool2d"
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// A layer without parameters or state between steps.
    public init() {}

    /// [C, H, W] -> [C]; throws for any other rank.
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("GlobalAvgPool2d expects a per-sample shape [C, H, W], found \(inputShape)")
        }
        return [inputShape[0]]
    }

    /// H*W additions and one division per channel: C*(H*W + 1).
    public func flops(for inputShape: [Int]) -> Int {
        inputShape.count == 3 ? inputShape[0] * (inputShape[1] * inputShape[2] + 1) : 0
    }

    /// x [N, C, H, W] -> y [N, C], y[n, c] = mean of x[n, c, :, :].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4, "GlobalAvgPool2d: input \(x.shape), expected [N, C, H, W]")
        inputShape = x.shape
        let (planes, plane) = (x.shape[0] * x.shape[1], x.shape[2] * x.shape[3])
        output.resize(x.shape[0], x.shape[1])
        let scale = 1 / Float(plane)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                for p in 0..<planes {
                    var sum: Float = 0
                    for j in (p * plane)..<((p + 1) * plane) { sum += xp[j] }
                    yp[p] = sum * scale
                }
            }
        }
        return output
    }

    /// dy [N, C] -> dx [N, C, H, W], dx[n, c, h, w] = dy[n, c] / (H*W).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == output.shape, "GlobalAvgPool2d: dy \(dy.shape), expected \(output.shape)")
        inputGrad.resize(to: inputShape)
        let plane = inputShape[2] * inputShape[3]
        let scale = 1 / Float(plane)
        dy.data.withUnsafeBufferPointer { d in
            inputGrad.data.withUnsafeMutableBufferPointer { dx in
                for p in d.indices { (dx.baseAddress! + p * plane).update(repeating: d[p] * scale, count: plane) }
            }
        }
        return inputGrad
    }
}
