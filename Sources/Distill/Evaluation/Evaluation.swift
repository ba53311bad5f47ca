import Foundation
import NN

/// `kd evaluate`'s report: accuracy, loss, per-class accuracy and the confusion matrix.
public struct Evaluation {
    public let metrics: ClassificationMetrics
    public let dataName: String
    public let samples: Int

    /// Evaluates `model` (eval mode, loaded from `file`) on every sample of `dataset`.
    public init(model: Sequential, file: String, dataset: Dataset) throws {
        try ModelFit.check(model, file: file, dataset: dataset)
        metrics = ClassificationMetrics(logits: Inference.logits(of: model, on: dataset), labels: dataset.labels)
        dataName = dataset.name
        samples = dataset.count
    }

    public var json: String {
        JSONText.encode(
            [
                "data": dataName, "samples": samples, "accuracy": metrics.accuracy, "loss": metrics.loss,
                "ece": metrics.expectedCalibrationError, "per_class_accuracy": metrics.perClassAccuracy,
                "confusion": metrics.confusion, "non_finite_outputs": metrics.nonFiniteSamples,
            ], pretty: true)
    }

    public var text: String {
        var lines = [
            String(format: "%@: %d samples", dataName, samples),
            String(
                format: "accuracy %.2f%%  loss %.4f  ECE %.4f", 100 * metrics.accuracy, metrics.loss,
                metrics.expectedCalibrationError),
            "per-class accuracy:",
        ]
        if metrics.nonFiniteSamples > 0 {
            lines.insert(
                "\(metrics.nonFiniteSamples) samples had NaN or infinite outputs (counted as wrong; loss and ECE are over the rest)",
                at: 2)
        }
        for (c, accuracy) in metrics.perClassAccuracy.enumerated() {
            lines.append(
                String(
                    format: "  class %2d  %@", c, accuracy.isNaN ? "  n/a" : String(format: "%6.2f%%", 100 * accuracy)))
        }
        let width = max(5, String(metrics.confusion.flatMap { $0 }.max() ?? 0).count + 1)
        func cell(_ text: String) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
        lines.append("confusion (rows: label, columns: predicted):")
        lines.append("      " + metrics.confusion.indices.map { cell("\($0)") }.joined())
        for (c, row) in metrics.confusion.enumerated() {
            lines.append(String(format: "  %2d  ", c) + row.map { cell("\($0)") }.joined())
        }
        return lines.joined(separator: "\n")
    }
}
