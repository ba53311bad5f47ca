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
        let constants = AdamConstants(
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

/// The per-step scalars of an Adam update.
struct AdamConstants {
    let beta1: Float
    let beta2: Float
    let eps: Float
    let stepSize: Float
    let biasCorrection2Sqrt: Float
    let l2: Float
    let shrink: Float
}

/// The Adam update of a range of elements, eight lanes at a time (the remainder one by one).
/// Every lane evaluates exactly the scalar expressions of the documented update, in the same
/// order and without fused multiply-adds, so the result is bit for bit the scalar one:
///
///     g ← grad + l2·θ (if l2 ≠ 0);  θ ← θ·shrink;  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g·g
///     θ ← θ − stepSize·m / (√v / √(1 − β2^t) + ε)
struct AdamUpdate: RangeJob {
    let theta: UnsafeMutablePointer<Float>
    let grad: UnsafePointer<Float>
    let m: UnsafeMutablePointer<Float>
    let v: UnsafeMutablePointer<Float>
    let constants: AdamConstants

    func run(_ range: Range<Int>) {
        typealias V = SIMD8<Float>
        let c = constants
        let oneMinusBeta1 = 1 - c.beta1
        let oneMinusBeta2 = 1 - c.beta2
        var j = range.lowerBound
        let vectorEnd = range.lowerBound + (range.count / 8) * 8
        while j < vectorEnd {
            let rt = UnsafeMutableRawPointer(theta + j)
            let rm = UnsafeMutableRawPointer(m + j)
            let rv = UnsafeMutableRawPointer(v + j)
            var th = rt.loadUnaligned(as: V.self)
            var g = UnsafeRawPointer(grad + j).loadUnaligned(as: V.self)
            if c.l2 != 0 { g = g + c.l2 * th }
            if c.shrink != 1 { th = th * c.shrink }
            let mj = c.beta1 * rm.loadUnaligned(as: V.self) + oneMinusBeta1 * g
            let vj = c.beta2 * rv.loadUnaligned(as: V.self) + (oneMinusBeta2 * g) * g
            th = th - (c.stepSize * mj) / (vj.squareRoot() / c.biasCorrection2Sqrt + c.eps)
            rm.storeBytes(of: mj, as: V.self)
            rv.storeBytes(of: vj, as: V.self)
            rt.storeBytes(of: th, as: V.self)
            j += 8
        }
        while j < range.upperBound {
            let g = c.l2 != 0 ? grad[j] + c.l2 * theta[j] : grad[j]
            theta[j] *= c.shrink
            m[j] = c.beta1 * m[j] + oneMinusBeta1 * g
            v[j] = c.beta2 * v[j] + oneMinusBeta2 * g * g
            theta[j] -= c.stepSize * m[j] / (v[j].squareRoot() / c.biasCorrection2Sqrt + c.eps)
            j += 1
        }
    }
}
