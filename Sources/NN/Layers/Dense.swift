/// A fully connected layer, PyTorch's `nn.Linear`: y = x W^T + b.
///
/// weight [out, in] row-major and bias [out], exactly as PyTorch stores them. Per-sample input
/// shape [in], output [out]. Parameters start at zero; an initializer sets their values.
public final class Dense: Layer, ParameterGradientLayer {
    public let kind = "Linear"
    public let inFeatures: Int
    public let outFeatures: Int
    /// [out, in].
    public let weight: Parameter
    /// [out], or nil when built with `bias: false`.
    public let bias: Parameter?

    /// The input of the last `forward`, kept (not copied) for `backward`: the caller must not
    /// change it in between (Sequential never does).
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGrad = Tensor(shape: [0])

    /// A layer mapping [N, inFeatures] to [N, outFeatures], with zero weight [out, in] and
    /// (when `bias`) zero bias [out].
    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true) {
        precondition(inFeatures > 0 && outFeatures > 0, "Dense: features must be positive")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(name: "weight", value: Tensor(shape: [outFeatures, inFeatures]))
        self.bias = bias ? Parameter(name: "bias", value: Tensor(shape: [outFeatures])) : nil
    }

    /// weight, then bias (state_dict order).
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// [in] -> [out]; throws when the per-sample shape is not [inFeatures].
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == [inFeatures] else {
            throw ShapeError("Linear expects \(inFeatures) input features per sample, found shape \(inputShape)")
        }
        return [outFeatures]
    }

    /// 2*in*out multiply-adds, plus `out` bias additions.
    public func flops(for inputShape: [Int]) -> Int {
        2 * inFeatures * outFeatures + (bias == nil ? 0 : outFeatures)
    }

    /// x [N, in] -> y [N, out] = x W^T + b (one sgemm, W used transposed in place). Any x
    /// [N, ...] with `in` elements per sample is read as [N, in] (what a Flatten before it would
    /// give), and `backward` returns dx in x's shape.
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.featuresPerItem == inFeatures, "Dense: input \(x.shape), expected [N, \(inFeatures)]")
        let n = x.batch
        input = x
        output.resize(n, outFeatures)
        let out = outFeatures
        if let bias {
            output.data.withUnsafeMutableBufferPointer { y in
                bias.value.data.withUnsafeBufferPointer { b in
                    for row in 0..<n { (y.baseAddress! + row * out).update(from: b.baseAddress!, count: out) }
                }
            }
        }
        sgemm(
            .none, .transposed, m: n, n: out, k: inFeatures, a: x.data, lda: inFeatures,
            b: weight.value.data, ldb: inFeatures, beta: bias == nil ? 0 : 1, c: &output.data, ldc: out)
        return output
    }

    /// dy [N, out] -> dx [N, in] = dy W; adds dW += dy^T x and db += sum over N of dy.
    public func backward(_ dy: Tensor) -> Tensor {
        backward(dy, inputGradient: true)
        return inputGrad
    }

    /// `backward` without dx.
    func backwardParameters(_ dy: Tensor) { backward(dy, inputGradient: false) }

    private func backward(_ dy: Tensor, inputGradient: Bool) {
        guard let x = input else { preconditionFailure("Dense: backward before forward") }
        let n = x.batch
        precondition(
            dy.shape.count == 2 && dy.shape[0] == n && dy.shape[1] == outFeatures,
            "Dense: dy \(dy.shape), expected [\(n), \(outFeatures)]")
        let (inF, out) = (inFeatures, outFeatures)
        sgemm(
            .transposed, .none, m: out, n: inF, k: n, a: dy.data, lda: out, b: x.data, ldb: inF,
            beta: 1, c: &weight.grad.data, ldc: inF)
        if let bias {
            bias.grad.data.withUnsafeMutableBufferPointer { db in
                dy.data.withUnsafeBufferPointer { g in
                    for row in 0..<n {
                        for j in 0..<out { db[j] += g[row * out + j] }
                    }
                }
            }
        }
        guard inputGradient else { return }
        inputGrad.resize(to: x.shape)
        sgemm(
            .none, .none, m: n, n: inF, k: out, a: dy.data, lda: out, b: weight.value.data, ldb: inF,
            c: &inputGrad.data, ldc: inF)
    }
}
