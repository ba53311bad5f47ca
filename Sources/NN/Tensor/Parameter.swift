/// A trainable tensor and the gradient accumulated for it by `backward`.
public final class Parameter {
    /// Local name inside its layer, as PyTorch names it: "weight" or "bias".
    public let name: String
    /// The value the optimizer updates.
    public let value: Tensor
    /// Same shape as `value`; layers ADD into it in `backward`, `zeroGrad` clears it.
    public let grad: Tensor

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.grad = Tensor(shape: value.shape)
    }

    /// Sets the gradient to zero.
    public func zeroGrad() { grad.fill(0) }
}
