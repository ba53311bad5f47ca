import Foundation
import NN

/// Inference latency of a model in eval mode, timed on real samples after a warm-up.
enum Latency {
    /// (ms per call at batch 1, ms per sample at batch 256): the median of several timed runs.
    static func measure(_ model: Sequential, sample dataset: Dataset) -> (Double, Double) {
        (perSample(model, dataset, batch: 1, repeats: 200), perSample(model, dataset, batch: 256, repeats: 10))
    }

    private static func perSample(_ model: Sequential, _ dataset: Dataset, batch: Int, repeats: Int) -> Double {
        let per = dataset.sampleShape.reduce(1, *)
        let n = min(batch, dataset.count)
        guard n > 0 else { return 0 }
        let input = Tensor(shape: [n] + dataset.sampleShape, data: Array(dataset.samples[0..<(n * per)]))
        _ = model.forward(input, training: false)
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = MonotonicClock.seconds
            _ = model.forward(input, training: false)
            times.append((MonotonicClock.seconds - start) * 1000 / Double(n))
        }
        return times.sorted()[times.count / 2]
    }
}
