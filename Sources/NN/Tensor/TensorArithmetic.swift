/// Elementwise in-place arithmetic on whole tensors.
extension Tensor {
    /// self += other (same element count).
    public func add(_ other: Tensor) {
        precondition(other.count == count, "add: \(other.shape) into \(shape)")
        data.withUnsafeMutableBufferPointer { a in
            other.data.withUnsafeBufferPointer { b in
                for i in a.indices { a[i] += b[i] }
            }
        }
    }

    /// self *= factor.
    public func scale(by factor: Float) {
        data.withUnsafeMutableBufferPointer { a in
            for i in a.indices { a[i] *= factor }
        }
    }
}
