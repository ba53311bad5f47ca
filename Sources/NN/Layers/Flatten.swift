/// Flattens each sample, PyTorch's `nn.Flatten()` (start_dim=1): [N, C, H, W] -> [N, C*H*W].
/// The elements are copied unchanged (NCHW order) into a buffer the layer reuses; inside a
/// `Sequential`, a Flatten right before a Linear copies nothing (the Linear reads [N, ...] as
/// [N, features]).
public final class Flatten: Layer {
    public let kind = "Flatten"
    private var inputShape: [Int] = []
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// A layer without parameters or state between steps.
    public init() {}

    /// Any per-sample shape [d1, d2, ...] -> [d1*d2*...].
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard !inputShape.isEmpty, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("Flatten expects a non-empty per-sample shape of positive sizes, found \(inputShape)")
        }
        return [inputShape.reduce(1, *)]
    }

    /// A copy, no arithmetic: 0.
    public func flops(for inputShape: [Int]) -> Int { 0 }

    /// x [N, ...] -> y [N, product of the rest].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        output.resize(x.batch, x.featuresPerItem)
        Self.copyElements(from: x, to: output)
        return output
    }

    /// dy [N, F] -> dx with the shape of the last input.
    public func backward(_ dy: Tensor) -> Tensor {
        inputGrad.resize(to: inputShape)
        precondition(dy.count == inputGrad.count, "Flatten: dy \(dy.shape) for input \(inputShape)")
        Self.copyElements(from: dy, to: inputGrad)
        return inputGrad
    }

    /// Copies all elements of `source` into `target` (same element count, shapes may differ).
    private static func copyElements(from source: Tensor, to target: Tensor) {
        target.data.withUnsafeMutableBufferPointer { dst in
            source.data.withUnsafeBufferPointer { src in
                dst.baseAddress!.update(from: src.baseAddress!, count: src.count)
            }
        }
    }
}
