/// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
/// as `torch.optim.SGD`. Per parameter θ with gradient g, step t (1-based), learning rate γ:
///
///     g ← g + λ·θ                          if λ ≠ 0
///     if μ ≠ 0:
///         b ← g                            if t = 1
///         b ← μ·b + (1 − τ)·g              otherwise
///         g ← g + μ·b  if nesterov, else g ← b
///     θ ← θ − γ·g
///
/// State: "\(i).momentum_buffer" (b) per parameter when μ ≠ 0, and "step".
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public let momentum: Float
    public let dampening: Float
    public let nesterov: Bool
    public let weightDecay: Float
    private let state: OptimizerState

    /// - Parameters: momentum μ ≥ 0, dampening τ, nesterov (needs μ > 0 and τ = 0, as PyTorch),
    ///   weightDecay λ ≥ 0 (added to the gradient).
    public init(
        parameters: [Parameter], momentum: Float = 0, dampening: Float = 0, nesterov: Bool = false,
        weightDecay: Float = 0
    ) {
        precondition(momentum >= 0 && weightDecay >= 0, "SGD: momentum and weight decay must be non-negative")
        precondition(!nesterov || (momentum > 0 && dampening == 0), "SGD: nesterov needs momentum > 0 and dampening 0")
        self.parameters = parameters
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.state = OptimizerState(
            optimizer: "SGD", parameters: parameters, slots: momentum != 0 ? ["momentum_buffer"] : [])
    }

    public func step(learningRate: Float) {
        let firstStep = state.step == 0
        state.step += 1
        for i in parameters.indices {
            let parameter = parameters[i]
            parameter.value.data.withUnsafeMutableBufferPointer { theta in
                parameter.grad.data.withUnsafeBufferPointer { grad in
                    if momentum == 0 {
                        for j in theta.indices {
                            theta[j] -= learningRate * decayed(grad[j], theta[j])
                        }
                        return
                    }
                    state.buffers[0][i].data.withUnsafeMutableBufferPointer { b in
                        for j in theta.indices {
                            var g = decayed(grad[j], theta[j])
                            b[j] = firstStep ? g : momentum * b[j] + (1 - dampening) * g
                            g = nesterov ? g + momentum * b[j] : b[j]
                            theta[j] -= learningRate * g
                        }
                    }
                }
            }
        }
    }

    /// g + λ·θ.
    @inline(__always)
    private func decayed(_ g: Float, _ theta: Float) -> Float { weightDecay != 0 ? g + weightDecay * theta : g }

    public func stateTensors() -> [(name: String, tensor: Tensor)] { state.tensors() }

    public func loadState(_ tensors: [String: Tensor]) throws { try state.load(tensors) }
}
