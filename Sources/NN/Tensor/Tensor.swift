import Foundation

/// A dense Float32 tensor in row-major (C) order: NCHW for images, [batch, features] for vectors.
///
/// A reference type on purpose: layers own their output and gradient tensors and reuse them
/// between steps (sized once per batch shape), so a training step allocates nothing. A tensor
/// returned by `forward`/`backward` stays valid until that layer's next call.
public final class Tensor {
    /// Dimensions, outermost first, e.g. [N, C, H, W].
    public private(set) var shape: [Int]
    /// The elements, row-major; `data.count == shape.product`.
    public var data: [Float]

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], value: Float = 0) {
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// A tensor of `shape` holding `data` (`data.count` must equal the shape's element count).
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "Tensor: \(data.count) elements for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Size of the outermost dimension (the batch for activations).
    public var batch: Int { shape.isEmpty ? 1 : shape[0] }

    /// Elements per outermost index: count / batch.
    public var featuresPerItem: Int {
        var product = 1
        var index = 1
        while index < shape.count {
            product *= shape[index]
            index += 1
        }
        return product
    }

    /// Changes the shape, reusing the storage; grows it only when the new shape needs more
    /// elements than have ever been held. New elements are zero; kept ones keep their values.
    public func resize(to newShape: [Int]) {
        if newShape == shape { return }
        let n = newShape.reduce(1, *)
        if n != data.count {
            if n < data.count {
                data.removeLast(data.count - n)
            } else {
                // One zero-filled block (memset) rather than element-wise appends.
                data += [Float](repeating: 0, count: n - data.count)
            }
        }
        shape = newShape
    }

    /// `resize(to: [d0])` without building a shape array when the shape is already that:
    /// a hot loop calling it with an unchanged shape allocates nothing.
    public func resize(_ d0: Int) {
        if shape.count == 1, shape[0] == d0 { return }
        resize(to: [d0])
    }

    /// `resize(to: [d0, d1])`, allocation-free when the shape is unchanged.
    public func resize(_ d0: Int, _ d1: Int) {
        if shape.count == 2, shape[0] == d0, shape[1] == d1 { return }
        resize(to: [d0, d1])
    }

    /// `resize(to: [d0, d1, d2, d3])`, allocation-free when the shape is unchanged.
    public func resize(_ d0: Int, _ d1: Int, _ d2: Int, _ d3: Int) {
        if shape.count == 4, shape[0] == d0, shape[1] == d1, shape[2] == d2, shape[3] == d3 { return }
        resize(to: [d0, d1, d2, d3])
    }

    /// Reinterprets the same elements under a new shape with the same element count.
    public func reshape(to newShape: [Int]) {
        precondition(newShape.reduce(1, *) == data.count, "reshape \(shape) -> \(newShape)")
        shape = newShape
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        data.withUnsafeMutableBufferPointer { p in
            p.baseAddress?.update(repeating: value, count: p.count)
        }
    }

    /// Copies `other`'s shape and elements into this tensor.
    public func copy(from other: Tensor) {
        resize(to: other.shape)
        data.withUnsafeMutableBufferPointer { dst in
            other.data.withUnsafeBufferPointer { src in
                dst.baseAddress!.update(from: src.baseAddress!, count: src.count)
            }
        }
    }

    /// A new tensor with the same shape and elements.
    public func clone() -> Tensor { Tensor(shape: shape, data: data) }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let head = data.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor\(shape)[\(head)\(data.count > 8 ? ", ..." : "")]"
    }
}
