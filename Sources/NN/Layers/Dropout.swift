/// Inverted dropout, PyTorch's `nn.Dropout(p)`: in training each element is zeroed with
/// probability p and the kept ones are scaled by 1/(1-p), so eval (the identity) needs no
/// rescaling. Any shape.
///
/// The mask is drawn from the layer's own `rng`, one `nextUnit()` per element in order
/// (kept when the draw is >= p); save and restore `rng` to replay the same masks.
public final class Dropout: Layer {
    public let kind = "Dropout"
    /// Probability of zeroing an element, in [0, 1).
    public let p: Float
    /// The generator of the masks; its state is the layer's only state.
    public var rng: SplitMix64

    /// Per element of the last forward: 0 or 1/(1-p) in training, 1 in eval.
    private let mask = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// Drops with probability `p`, which must be in [0, 1) (the run config validates it first).
    public init(p: Float, rng: SplitMix64) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), found \(p)")
        self.p = p
        self.rng = rng
    }

    /// Any per-sample shape, unchanged.
    public func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }

    /// One multiplication per element.
    public func flops(for inputShape: [Int]) -> Int { inputShape.reduce(1, *) }

    /// x [N, ...] -> y, same shape: x * mask in training, x in eval.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        mask.resize(to: x.shape)
        if training {
            let scale = 1 / (1 - p)
            mask.data.withUnsafeMutableBufferPointer { m in
                for i in m.indices { m[i] = rng.nextUnit() >= p ? scale : 0 }
            }
        } else {
            mask.fill(1)
        }
        output.resize(to: x.shape)
        output.data.withUnsafeMutableBufferPointer { y in
            x.data.withUnsafeBufferPointer { xp in
                mask.data.withUnsafeBufferPointer { m in
                    for i in xp.indices { y[i] = xp[i] * m[i] }
                }
            }
        }
        return output
    }

    /// dy -> dx = dy * mask of the last forward.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == mask.shape, "Dropout: dy \(dy.shape), expected \(mask.shape)")
        inputGrad.resize(to: dy.shape)
        inputGrad.data.withUnsafeMutableBufferPointer { dx in
            dy.data.withUnsafeBufferPointer { d in
                mask.data.withUnsafeBufferPointer { m in
                    for i in d.indices { dx[i] = d[i] * m[i] }
                }
            }
        }
        return inputGrad
    }
}
