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
    private static let elementsPerThread = 1 << 16

    /// x [N, ...] -> y = max(0, x), same shape (a NaN stays NaN, as in PyTorch).
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        output.resize(to: x.shape)
        output.data.withUnsafeMutableBufferPointer { y in
            x.data.withUnsafeBufferPointer { xp in
                let (src, dst) = (xp.baseAddress!, y.baseAddress!)
                Parallel.forRanges(xp.count, minimumPerThread: Self.elementsPerThread) { range in
                    var i = range.lowerBound
                    while i + 8 <= range.upperBound {
                        let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(dst + i).storeBytes(
                            of: v.replacing(with: 0, where: v .<= 0), as: SIMD8<Float>.self)
                        i += 8
                    }
                    while i < range.upperBound {
                        dst[i] = src[i] <= 0 ? 0 : src[i]
                        i += 1
                    }
                }
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
                    let (g, yp, dst) = (d.baseAddress!, y.baseAddress!, dx.baseAddress!)
                    Parallel.forRanges(d.count, minimumPerThread: Self.elementsPerThread) { range in
                        var i = range.lowerBound
                        while i + 8 <= range.upperBound {
                            let v = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
                            let out = UnsafeRawPointer(yp + i).loadUnaligned(as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(dst + i).storeBytes(
                                of: SIMD8<Float>(repeating: 0).replacing(with: v, where: out .> 0), as: SIMD8<Float>.self)
                            i += 8
                        }
                        while i < range.upperBound {
                            dst[i] = yp[i] > 0 ? g[i] : 0
                            i += 1
                        }
                    }
                }
            }
        }
        return inputGrad
    }
}
