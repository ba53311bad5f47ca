import NN

/// Accuracy-style metrics computed from a model's logits over a labelled data set.
public struct ClassificationMetrics {
    /// Fraction of samples whose top-1 class equals the label.
    public let accuracy: Double
    /// Mean cross-entropy.
    public let loss: Double
    /// Accuracy per class (NaN for a class with no samples).
    public let perClassAccuracy: [Double]
    /// confusion[label][predicted] = count.
    public let confusion: [[Int]]
    /// Expected calibration error over equal-width confidence bins.
    public let expectedCalibrationError: Double

    /// logits: [N, K]; labels: N values in 0..<K.
    public init(logits: Tensor, labels: [Int32], calibrationBins: Int = 15) {
        let n = logits.batch
        let k = logits.featuresPerItem
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        let predicted = logits.argmaxPerRow()
        for i in 0..<n { confusion[Int(labels[i])][predicted[i]] += 1 }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        self.accuracy = n > 0 ? Double(correct) / Double(n) : 0
        self.confusion = confusion
        self.perClassAccuracy = confusion.enumerated().map { c, row in
            let total = row.reduce(0, +)
            return total > 0 ? Double(row[c]) / Double(total) : .nan
        }
        self.loss = n > 0 ? Double(crossEntropy(logits: logits, labels: labels, gradient: nil)) : 0
        self.expectedCalibrationError = Self.calibrationError(
            logits: logits, labels: labels, predicted: predicted, bins: calibrationBins)
    }

    /// ECE = sum over bins of (bin size / N) * |accuracy(bin) - mean confidence(bin)|, with the
    /// confidence being the top softmax probability and bins of equal width over (0, 1].
    static func calibrationError(logits: Tensor, labels: [Int32], predicted: [Int], bins: Int) -> Double {
        let n = logits.batch
        guard n > 0 else { return 0 }
        let probabilities = Tensor(shape: logits.shape)
        softmax(logits, into: probabilities)
        let k = logits.featuresPerItem
        var count = [Int](repeating: 0, count: bins)
        var hits = [Int](repeating: 0, count: bins)
        var confidence = [Double](repeating: 0, count: bins)
        for i in 0..<n {
            let p = Double(probabilities.data[i * k + predicted[i]])
            let bin = min(bins - 1, max(0, Int((p * Double(bins)).rounded(.up)) - 1))
            count[bin] += 1
            confidence[bin] += p
            if predicted[i] == Int(labels[i]) { hits[bin] += 1 }
        }
        return (0..<bins).reduce(0.0) { total, b in
            guard count[b] > 0 else { return total }
            let gap = abs(Double(hits[b]) / Double(count[b]) - confidence[b] / Double(count[b]))
            return total + Double(count[b]) / Double(n) * gap
        }
    }
}

extension Tensor {
    /// Index of the largest value in row `i` of a [N, K] tensor (the first one on ties).
    public func argmax(row i: Int) -> Int {
        let k = featuresPerItem
        return data.withUnsafeBufferPointer { p in
            var best = 0
            for j in 1..<max(k, 1) where p[i * k + j] > p[i * k + best] { best = j }
            return best
        }
    }

    /// The argmax of every row of a [N, K] tensor.
    public func argmaxPerRow() -> [Int] { (0..<batch).map { argmax(row: $0) } }

    /// How many rows of a [N, K] tensor have their largest value at the row's label.
    public func correctPredictions(_ labels: [Int32]) -> Int {
        (0..<batch).reduce(0) { $0 + (argmax(row: $1) == Int(labels[$1]) ? 1 : 0) }
    }
}
