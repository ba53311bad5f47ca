/// Row-wise argmax of a [N, K] tensor (logits or probabilities), as `torch.argmax(x, dim=1)`.
extension Tensor {
    /// Index of the largest value in row `i` of a [N, K] tensor (the first one on ties; a NaN
    /// never wins, so a row of NaNs gives 0).
    public func argmax(row i: Int) -> Int {
        let k = featuresPerItem
        return data.withUnsafeBufferPointer { p in
            var best = 0
            for j in 1..<max(k, 1) where p[i * k + j] > p[i * k + best] { best = j }
            return best
        }
    }

    /// The argmax of every row of a [N, K] tensor: N indices in 0..<K.
    public func argmaxPerRow() -> [Int] { (0..<batch).map { argmax(row: $0) } }

    /// How many rows of a [N, K] tensor have their largest value at the row's label (N labels).
    public func correctPredictions(_ labels: [Int32]) -> Int {
        (0..<batch).reduce(0) { $0 + (argmax(row: $1) == Int(labels[$1]) ? 1 : 0) }
    }
}
