/// Adaptive average pooling to a fixed output size, PyTorch's `nn.AdaptiveAvgPool2d((oh, ow))`:
/// [C, H, W] -> [C, oh, ow] per sample, output row i averaging input rows
/// floor(i*H/oh) ..< ceil((i+1)*H/oh) (columns alike), so the windows may overlap when H is not
/// a multiple of oh. Used by attention transfer to bring two feature maps to one size.
public final class AdaptiveAvgPool2d: Layer {
    public let kind = "AdaptiveAvgPool2d"
    /// (oh, ow).
    public let outputSize: (height: Int, width: Int)
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    public init(height: Int, width: Int) {
        precondition(height > 0 && width > 0, "AdaptiveAvgPool2d: output size \(height)x\(width)")
        outputSize = (height, width)
    }

    /// [C, H, W] -> [C, oh, ow]; throws for another rank or an output larger than the input.
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape.count == 3, inputShape[1] >= outputSize.height, inputShape[2] >= outputSize.width else {
            throw ShapeError(
                "AdaptiveAvgPool2d to \(outputSize.height)x\(outputSize.width) expects [C, H, W] at least that large, found \(inputShape)"
            )
        }
        return [inputShape[0], outputSize.height, outputSize.width]
    }

    /// Input rows (or columns) ..< of output row `i` of `count` over `size`.
    private static func window(_ i: Int, _ count: Int, _ size: Int) -> Range<Int> {
        (i * size / count)..<(((i + 1) * size + count - 1) / count)
    }

    /// x [N, C, H, W] -> y [N, C, oh, ow], each the mean of its window.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4, "AdaptiveAvgPool2d: input \(x.shape), expected [N, C, H, W]")
        inputShape = x.shape
        let (h, w, oh, ow) = (x.shape[2], x.shape[3], outputSize.height, outputSize.width)
        output.resize(x.shape[0], x.shape[1], oh, ow)
        x.data.withUnsafeBufferPointer { xp in
            output.data.withUnsafeMutableBufferPointer { yp in
                for plane in 0..<(x.shape[0] * x.shape[1]) {
                    for i in 0..<oh {
                        let rows = Self.window(i, oh, h)
                        for j in 0..<ow {
                            let cols = Self.window(j, ow, w)
                            var sum: Float = 0
                            for r in rows { for c in cols { sum += xp[(plane * h + r) * w + c] } }
                            yp[(plane * oh + i) * ow + j] = sum / Float(rows.count * cols.count)
                        }
                    }
                }
            }
        }
        return output
    }

    /// dy [N, C, oh, ow] -> dx [N, C, H, W]: each dy spread evenly over its window (summed where
    /// windows overlap).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == output.shape, "AdaptiveAvgPool2d: dy \(dy.shape), expected \(output.shape)")
        inputGrad.resize(to: inputShape)
        inputGrad.fill(0)
        let (h, w, oh, ow) = (inputShape[2], inputShape[3], outputSize.height, outputSize.width)
        dy.data.withUnsafeBufferPointer { d in
            inputGrad.data.withUnsafeMutableBufferPointer { dx in
                for plane in 0..<(inputShape[0] * inputShape[1]) {
                    for i in 0..<oh {
                        let rows = Self.window(i, oh, h)
                        for j in 0..<ow {
                            let cols = Self.window(j, ow, w)
                            let share = d[(plane * oh + i) * ow + j] / Float(rows.count * cols.count)
                            for r in rows { for c in cols { dx[(plane * h + r) * w + c] += share } }
                        }
                    }
                }
            }
        }
        return inputGrad
    }
}
