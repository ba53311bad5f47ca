/// A residual block (He et al. 2016): y = relu(body(x) + shortcut(x)), the ReLU optional.
///
/// `body` maps a per-sample [C, H, W] to [C', H', W']; the shortcut is the identity (nil; then
/// [C', H', W'] must be [C, H, W]) or a `Sequential` with the body's output shape, e.g. a
/// projection: 1x1 Conv2d with the body's stride, then BatchNorm2d.
///
/// state_dict keys as a PyTorch module with `self.body = nn.Sequential(...)` and
/// `self.shortcut = nn.Sequential(...)` (empty for the identity): "body.<i>.<name>", then
/// "shortcut.<i>.<name>".
///
/// Backward: the gradient at the sum (masked by the ReLU) goes down both paths; the shortcut's
/// gradient (the sum's own for the identity) is added into the tensor the body returns, so the
/// skip path costs one pass and no copy.
public final class Residual: Layer {
    public let kind = "Residual"
    public let body: Sequential
    /// nil: the identity.
    public let shortcut: Sequential?
    /// Whether a ReLU follows the sum.
    public let rectifies: Bool

    /// relu(body + shortcut) of the last forward, [N, C', H', W'].
    private let output = Tensor(shape: [0])
    /// dL/d(sum): dy masked by the final ReLU.
    private let sumGrad = Tensor(shape: [0])
    /// dx when the body hands its dy straight back (so its result cannot be added into).
    private let inputGrad = Tensor(shape: [0])

    /// Elements per thread below which a pass stays on one thread.
    private static let elementsPerThread = 1 << 14

    /// Throws a ShapeError when the shortcut's input or output shape differs from the body's.
    public init(body: Sequential, shortcut: Sequential? = nil, relu: Bool = true) throws {
        let shortcutOutput = shortcut?.outputShape ?? body.inputShape
        if let shortcut, shortcut.inputShape != body.inputShape {
            throw ShapeError("the shortcut takes \(shortcut.inputShape), the body \(body.inputShape)")
        }
        guard body.outputShape == shortcutOutput else {
            throw ShapeError(
                "the body gives \(body.outputShape) but the \(shortcut == nil ? "identity shortcut" : "shortcut") gives \(shortcutOutput)"
            )
        }
        self.body = body
        self.shortcut = shortcut
        self.rectifies = relu
    }

    /// body's, then shortcut's (state_dict order).
    public var parameters: [Parameter] { body.parameters + (shortcut?.parameters ?? []) }

    public var namedParameters: [(key: String, parameter: Parameter)] {
        body.namedParameters.map { ("body.\($0.key)", $0.parameter) }
            + (shortcut?.namedParameters ?? []).map { ("shortcut.\($0.key)", $0.parameter) }
    }

    public var stateDict: [(key: String, value: Tensor, isInteger: Bool)] {
        body.stateDict.map { ("body.\($0.key)", $0.value, $0.isInteger) }
            + (shortcut?.stateDict ?? []).map { ("shortcut.\($0.key)", $0.value, $0.isInteger) }
    }

    public var sublayers: [(key: String, layer: Layer)] {
        body.layers.enumerated().map { ("body.\($0)", $1) }
            + (shortcut?.layers ?? []).enumerated().map { ("shortcut.\($0)", $1) }
    }

    /// [C, H, W] -> the body's output shape (the shapes the block was built for).
    public func outputShape(for inputShape: [Int]) throws -> [Int] {
        guard inputShape == body.inputShape else {
            throw ShapeError("Residual expects a per-sample shape \(body.inputShape), found \(inputShape)")
        }
        return body.outputShape
    }

    /// The body's and the shortcut's FLOPs, plus one addition (and one comparison) per output.
    public func flops(for inputShape: [Int]) -> Int {
        body.flopsPerSample + (shortcut?.flopsPerSample ?? 0) + (rectifies ? 2 : 1) * body.outputShape.reduce(1, *)
    }

    /// x [N, C, H, W] -> y [N, C', H', W'].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let y = body.forward(x, training: training)
        let skip = shortcut?.forward(x, training: training) ?? x
        precondition(y.shape == skip.shape, "Residual: body \(y.shape), shortcut \(skip.shape)")
        output.resize(to: y.shape)
        y.data.withUnsafeBufferPointer { a in
            skip.data.withUnsafeBufferPointer { b in
                output.data.withUnsafeMutableBufferPointer { o in
                    Parallel.forRanges(
                        o.count, minimumPerThread: Self.elementsPerThread,
                        AddRectify(a: a.baseAddress!, b: b.baseAddress!, y: o.baseAddress!, rectify: rectifies))
                }
            }
        }
        return output
    }

    /// dy [N, C', H', W'] -> dx [N, C, H, W] = body'(g) + shortcut'(g), g = dy masked by the ReLU;
    /// adds every parameter gradient of both paths.
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.shape == output.shape, "Residual: dy \(dy.shape), expected \(output.shape)")
        var g = dy
        if rectifies {
            sumGrad.resize(to: dy.shape)
            dy.data.withUnsafeBufferPointer { d in
                output.data.withUnsafeBufferPointer { y in
                    sumGrad.data.withUnsafeMutableBufferPointer { dx in
                        Parallel.forRanges(
                            d.count, minimumPerThread: Self.elementsPerThread,
                            RectifyGradient(dy: d.baseAddress!, y: y.baseAddress!, dx: dx.baseAddress!))
                    }
                }
            }
            g = sumGrad
        }
        var dx = body.backward(g)
        let skip = shortcut?.backward(g) ?? g
        if dx === g {
            inputGrad.copy(from: dx)
            dx = inputGrad
        }
        dx.data.withUnsafeMutableBufferPointer { a in
            skip.data.withUnsafeBufferPointer { b in
                Parallel.forRanges(
                    a.count, minimumPerThread: Self.elementsPerThread, Accumulate(into: a.baseAddress!, b.baseAddress!))
            }
        }
        return dx
    }
}

/// y[i] = a[i] + b[i], then max(0, .) when `rectify` (a NaN stays NaN), eight lanes at a time.
private struct AddRectify: RangeJob {
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>
    let rectify: Bool

    func run(_ range: Range<Int>) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let v =
                UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
                + UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(
                of: rectify ? v.replacing(with: 0, where: v .<= 0) : v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < range.upperBound {
            let v = a[i] + b[i]
            y[i] = rectify && v <= 0 ? 0 : v
            i += 1
        }
    }
}

/// a[i] += b[i].
private struct Accumulate: RangeJob {
    let a: UnsafeMutablePointer<Float>
    let b: UnsafePointer<Float>

    init(into a: UnsafeMutablePointer<Float>, _ b: UnsafePointer<Float>) {
        self.a = a
        self.b = b
    }

    func run(_ range: Range<Int>) {
        for i in range { a[i] += b[i] }
    }
}
