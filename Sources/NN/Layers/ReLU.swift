/// The rectifier, PyTorch's `nn.ReLU`: y = max(0, x), any shape.
/// Its gradient at exactly 0 is 0, as in PyTorch.
public final class ReLU: Layer {
    public let kind = "ReLU"
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// A layer without parameters or state between steps.
    public init() {}

    /// Any per-sample shape, unchanged.
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    /// One comparison per element.
    public func flops(for inputShape: [Int]) -> Int { inputShape.reduce(1, *) }

    /// x [N, ...] -> y = max(0, x), same shape.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output.resize(to: x.shape)
        output.data.withUnsafeMutableBufferPointer { y in
            x.data.withUnsafeBufferPointer { xp in
                for i in xp.indices { y[i] = xp[i] > 0 ? xp[i] : 0 }
            }
        }
        return output
    }

    /// dy [N, ...] -> dx = dy where y > 0, else 0.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == output.shape, "ReLU: dy \(dy.shape), expected \(output.shape)")
        inputGrad.resize(to: dy.shape)
        inputGrad.data.withUnsafeMutableBufferPointer { dx in
            dy.data.withUnsafeBufferPointer { d in
                output.data.withUnsafeBufferPointer { y in
                    for i in d.indices { dx[i] = y[i] > 0 ? d[i] : 0 }
                }
            }
        }
        return inputGrad
    }
}
