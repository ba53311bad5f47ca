import NN

/// Accuracy-style metrics computed from a model's logits over a labelled data set.
///
/// Non-finite outputs: a sample whose logits hold a NaN or an infinity (a model with huge or
/// broken weights) has no prediction. It counts as wrong in `accuracy` and `perClassAccuracy`,
/// appears in no column of `confusion`, is left out of `loss` and of the calibration error
/// (which are over the samples with finite outputs), and is counted in `nonFiniteSamples`.
public struct ClassificationMetrics {
    /// Fraction of samples whose top-1 class equals the label.
    public let accuracy: Double
    /// Mean cross-entropy over the samples with finite outputs (0 when there are none).
    public let loss: Double
    /// Accuracy per class (NaN for a class with no samples).
    public let perClassAccuracy: [Double]
    /// confusion[label][predicted] = count: rows are the true class, columns the prediction.
    public let confusion: [[Int]]
    /// Expected calibration error over equal-width confidence bins (finite outputs only).
    public let expectedCalibrationError: Double
    /// Samples whose outputs were not all finite (each counted as wrong).
    public let nonFiniteSamples: Int

    /// logits: [N, K]; labels: N values in 0..<K.
    public init(logits: Tensor, labels: [Int32], calibrationBins: Int = 15) {
        let n = logits.batch
        let k = logits.featuresPerItem
        let finite = (0..<n).filter { i in (0..<k).allSatisfy { logits.data[i * k + $0].isFinite } }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        var perClassTotal = [Int](repeating: 0, count: k)
        for y in labels { perClassTotal[Int(y)] += 1 }
        let predicted = logits.argmaxPerRow()
        for i in finite { confusion[Int(labels[i])][predicted[i]] += 1 }
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        self.accuracy = n > 0 ? Double(correct) / Double(n) : 0
        self.confusion = confusion
        self.perClassAccuracy = (0..<k).map { c in
            perClassTotal[c] > 0 ? Double(confusion[c][c]) / Double(perClassTotal[c]) : .nan
        }
        self.nonFiniteSamples = n - finite.count
        let finiteLogits =
            finite.count == n
            ? logits : Tensor(shape: [finite.count, k], data: finite.flatMap { logits.data[($0 * k)..<($0 * k + k)] })
        let finiteLabels = finite.count == n ? labels : finite.map { labels[$0] }
        self.loss = finite.isEmpty ? 0 : Double(crossEntropy(logits: finiteLogits, labels: finiteLabels, gradient: nil))
        self.expectedCalibrationError = Self.calibrationError(
            logits: finiteLogits, labels: finiteLabels, predicted: finiteLogits.argmaxPerRow(), bins: calibrationBins)
    }

    /// ECE = sum over bins of (bin size / N) * |accuracy(bin) - mean confidence(bin)|, with the
    /// confidence being the top softmax probability and bins of equal width over (0, 1].
    /// `logits` must be finite.
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
            // p is in [0, 1] for finite logits; the clamp keeps the index defined regardless.
            let scaled = p.isFinite ? min(max(p, 0), 1) * Double(bins) : 0
            let bin = min(bins - 1, max(0, Int(scaled.rounded(.up)) - 1))
            count[bin] += 1
            confidence[bin] += p.isFinite ? p : 0
            if predicted[i] == Int(labels[i]) { hits[bin] += 1 }
        }
        return (0..<bins).reduce(0.0) { total, b in
            guard count[b] > 0 else { return total }
            let gap = abs(Double(hits[b]) / Double(count[b]) - confidence[b] / Double(count[b]))
            return total + Double(count[b]) / Double(n) * gap
        }
    }
}
