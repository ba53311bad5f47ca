/// Flattens each sample, PyTorch's `nn.Flatten()` (start_dim=1): [N, C, H, W] -> [N, C*H*W].
/// The elements are copied unchanged (NCHW order) into a buffer the layer reuses.
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
        output.copy(from: x)
        output.reshape(to: [x.batch, x.featuresPerItem])
        return output
    }

    /// dy [N, F] -> dx with the shape of the last input.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.count == inputShape.reduce(1, *), "Flatten: dy \(dy.shape) for input \(inputShape)")
        inputGrad.copy(from: dy)
        inputGrad.reshape(to: inputShape)
        return inputGrad
    }
}
