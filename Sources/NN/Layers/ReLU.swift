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

    /// Elements per thread below which a pass stays on one thread.
    private static let elementsPerThread = 1 << 14

    /// x [N, ...] -> y = max(0, x), same shape (a NaN stays NaN, as in PyTorch).
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output.resize(to: x.shape)
        output.data.withUnsafeMutableBufferPointer { y in
            x.data.withUnsafeBufferPointer { xp in
                Parallel.forRanges(
                    xp.count, minimumPerThread: Self.elementsPerThread,
                    Rectify(x: xp.baseAddress!, y: y.baseAddress!))
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
                    Parallel.forRanges(
                        d.count, minimumPerThread: Self.elementsPerThread,
                        RectifyGradient(dy: d.baseAddress!, y: y.baseAddress!, dx: dx.baseAddress!))
                }
            }
        }
        return inputGrad
    }
}

/// y[i] = max(0, x[i]) (a NaN stays NaN), eight lanes at a time.
private struct Rectify: RangeJob {
    let x: UnsafePointer<Float>
    let y: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v.replacing(with: 0, where: v .<= 0), as: SIMD8<Float>.self)
            i += 8
        }
        while i < range.upperBound {
            y[i] = x[i] <= 0 ? 0 : x[i]
            i += 1
        }
    }
}

/// dx[i] = dy[i] where y[i] > 0, else 0, eight lanes at a time.
struct RectifyGradient: RangeJob {
    let dy: UnsafePointer<Float>
    let y: UnsafePointer<Float>
    let dx: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let g = UnsafeRawPointer(dy + i).loadUnaligned(as: SIMD8<Float>.self)
            let out = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dx + i).storeBytes(
                of: SIMD8<Float>(repeating: 0).replacing(with: g, where: out .> 0), as: SIMD8<Float>.self)
            i += 8
        }
        while i < range.upperBound {
            dx[i] = y[i] > 0 ? dy[i] : 0
            i += 1
        }
    }
}
