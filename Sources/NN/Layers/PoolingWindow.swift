/// The window a pooling layer slides (square kernel k, stride, zero/-inf padding of at most
/// k/2 as PyTorch requires) and its geometry for the last batch shape seen, recomputed only when
/// that shape changes (so a step with an unchanged batch shape builds no shape array).
public struct PoolingWindow {
    /// Layer name for messages ("MaxPool2d").
    let layer: String
    let kernelSize: Int
    let stride: Int
    let padding: Int
    private var cachedShape: [Int] = []
    private var cached: Window2d?

    /// The largest padding a pooling window of size `kernel` may have (PyTorch: half the kernel).
    public static func maxPadding(kernel: Int) -> Int { kernel / 2 }

    /// `stride` nil means the kernel size.
    init(layer: String, kernelSize: Int, stride: Int?, padding: Int) {
        precondition(
            kernelSize > 0 && (stride ?? 1) > 0 && padding >= 0,
            "\(layer): kernel and stride must be positive, padding non-negative")
        self.layer = layer
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    /// Geometry for a per-sample input [C, H, W]; throws when the window does not fit.
    func geometry(_ inputShape: [Int]) throws -> Window2d {
        guard padding <= Self.maxPadding(kernel: kernelSize) else {
            throw ShapeError("\(layer): padding \(padding) must be at most half the kernel size \(kernelSize)")
        }
        return try Window2d(layer, inputShape: inputShape, kernel: kernelSize, stride: stride, padding: padding)
    }

    /// [C, H, W] -> [C, Ho, Wo].
    func outputShape(for inputShape: [Int]) throws -> [Int] {
        let g = try geometry(inputShape)
        return [g.channels, g.outHeight, g.outWidth]
    }

    /// Geometry for a batch x [N, C, H, W] (cached per shape); stops on a shape that
    /// `Sequential` would have refused.
    mutating func geometry(batch x: Tensor) -> Window2d { geometry(batchShape: x.shape) }

    /// `geometry(batch:)` for a batch of shape [N, C, H, W].
    mutating func geometry(batchShape shape: [Int]) -> Window2d {
        if shape != cachedShape {
            cachedShape = shape
            cached = try? geometry(Array(shape.dropFirst()))
        }
        guard let g = cached else {
            preconditionFailure("\(layer): input \(shape) does not fit kernel \(kernelSize)")
        }
        return g
    }
}
