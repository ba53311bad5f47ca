import CKernels
import Foundation

/// Adam (Kingma & Ba), as `torch.optim.Adam`: weight decay λ is L2, added to the gradient.
/// Per parameter θ with gradient g, step t (1-based), learning rate γ:
///
///     g ← g + λ·θ                          if λ ≠ 0   (Adam)
///     θ ← θ − γ·λ·θ                                   (AdamW: decoupled decay, instead)
///     m ← β1·m + (1 − β1)·g
///     v ← β2·v + (1 − β2)·g²
///     m̂ ← m / (1 − β1^t),  v̂ ← v / (1 − β2^t)
///     θ ← θ − γ·m̂ / (√v̂ + ε)
///
/// The last line is evaluated as PyTorch does: θ ← θ − (γ / (1 − β1^t))·m / (√v / √(1 − β2^t) + ε),
/// bias corrections in Double. State: "\(i).exp_avg" (m), "\(i).exp_avg_sq" (v), "step".
public class Adam: Optimizer {
    public let parameters: [Parameter]
    public let beta1: Float
    public let beta2: Float
    public let eps: Float
    public let weightDecay: Float
    /// AdamW's decoupled decay instead of Adam's L2 gradient term.
    private let decoupledWeightDecay: Bool
    private let state: OptimizerState

    /// - Parameters: beta1, beta2 in [0, 1), eps > 0, weightDecay λ ≥ 0 (L2 added to the gradient).
    public convenience init(
        parameters: [Parameter], beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
        weightDecay: Float = 0
    ) {
        self.init(
            name: "Adam", parameters: parameters, beta1: beta1, beta2: beta2, eps: eps,
            weightDecay: weightDecay, decoupled: false)
    }

    init(
        name: String, parameters: [Parameter], beta1: Float, beta2: Float, eps: Float, weightDecay: Float,
        decoupled: Bool
    ) {
        precondition((0..<1).contains(beta1) && (0..<1).contains(beta2), "\(name): betas must be in [0, 1)")
        precondition(eps > 0 && weightDecay >= 0, "\(name): eps must be positive, weight decay non-negative")
        self.parameters = parameters
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupled
        self.state = OptimizerState(optimizer: name, parameters: parameters, slots: ["exp_avg", "exp_avg_sq"])
    }

    public func step(learningRate: Float) {
        state.step += 1
        let t = Double(state.step)
        let constants = kd_adam_constants(
            beta1: beta1, beta2: beta2, eps: eps,
            stepSize: Float(Double(learningRate) / (1 - pow(Double(beta1), t))),
            biasCorrection2Sqrt: Float((1 - pow(Double(beta2), t)).squareRoot()),
            l2: decoupledWeightDecay ? 0 : weightDecay,
            shrink: decoupledWeightDecay ? 1 - learningRate * weightDecay : 1)
        for i in parameters.indices {
            let parameter = parameters[i]
            parameter.value.data.withUnsafeMutableBufferPointer { theta in
                parameter.grad.data.withUnsafeBufferPointer { grad in
                    state.buffers[0][i].data.withUnsafeMutableBufferPointer { m in
                        state.buffers[1][i].data.withUnsafeMutableBufferPointer { v in
                            Parallel.forRanges(
                                theta.count, minimumPerThread: 1 << 13,
                                AdamUpdate(
                                    theta: theta.baseAddress!, grad: grad.baseAddress!, m: m.baseAddress!,
                                    v: v.baseAddress!, constants: constants))
                        }
                    }
                }
            }
        }
    }

    public func stateTensors() -> [(name: String, tensor: Tensor)] { state.tensors() }

    public func loadState(_ tensors: [String: Tensor]) throws { try state.load(tensors) }
}

/// AdamW (Loshchilov & Hutter), as `torch.optim.AdamW`: Adam with decoupled weight decay,
/// θ ← θ·(1 − γ·λ) before the Adam update, and no L2 term in the gradient.
public final class AdamW: Adam {
    /// - Parameters: beta1, beta2 in [0, 1), eps > 0, weightDecay λ ≥ 0 (decoupled; PyTorch's default 0.01).
    public init(
        parameters: [Parameter], beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
        weightDecay: Float = 0.01
    ) {
        super.init(
            name: "AdamW", parameters: parameters, beta1: beta1, beta2: beta2, eps: eps,
            weightDecay: weightDecay, decoupled: true)
    }
}

/// The Adam update of a range of elements (`kd_adam_update`: 16 lanes at a time with AVX-512,
/// each operation rounded on its own in the documented order, so every element is bit for bit
/// the scalar update):
///
///     g ← grad + l2·θ (if l2 ≠ 0);  θ ← θ·shrink;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g·g
///     θ ← θ − stepSize·m / (√v / √(1 − β2^t) + ε)
struct AdamUpdate: RangeJob {
    let theta: UnsafeMutablePointer<Float>
    let grad: UnsafePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let constants: kd_adam_constants

    func run(_ range: Range<Int>) {
        let j = range.lowerBound
        kd_adam_update(theta + j, grad + j, m + j, v + j, range.count, constants)
    }
}
