import Foundation

/// One epoch's figures, as written to metrics.jsonl and printed as the epoch's line.
public struct EpochRecord {
    public let phase: String
    /// 1-based.
    public let epoch: Int
    public let loss: Double
    public let softLoss: Double?
    public let hardLoss: Double?
    public let trainAccuracy: Double
    public let validationAccuracy: Double?
    /// Nil when the data has no test split (one-file sources).
    public let testAccuracy: Double?
    /// Mean cross-entropy on the validation and test splits (nil without the split).
    public let validationLoss: Double?
    public let testLoss: Double?
    public let learningRate: Float
    public let seconds: Double
    public let samplesPerSecond: Double
    /// Each feature term's mean over the epoch, unweighted, by name ("hint 3->4").
    public var featureLosses: [(name: String, value: Double)] = []

    /// The metrics.jsonl object (absent values are left out).
    var json: [String: Any] {
        var entry: [String: Any] = [
            "phase": phase, "epoch": epoch, "loss": loss, "train_acc": trainAccuracy, "lr": learningRate,
            "seconds": seconds, "samples_per_s": samplesPerSecond,
        ]
        entry["loss_soft"] = softLoss
        entry["loss_hard"] = hardLoss
        entry["val_acc"] = validationAccuracy
        entry["test_acc"] = testAccuracy
        entry["val_loss"] = validationLoss
        entry["test_loss"] = testLoss
        if !featureLosses.isEmpty {
            entry["loss_features"] = Dictionary(featureLosses.map { ($0.name, $0.value) }) { a, _ in a }
        }
        return entry
    }

    /// The epoch's line for the log: "[student] epoch 2/10 loss 0.4321 (soft ..., hard ...) train ...".
    func line(epochs: Int) -> String {
        var line = String(format: "[%@] epoch %d/%d loss %.4f", phase, epoch, epochs, loss)
        if let soft = softLoss, let hard = hardLoss { line += String(format: " (soft %.4f, hard %.4f)", soft, hard) }
        if !featureLosses.isEmpty {
            line +=
                " [" + featureLosses.map { String(format: "%@ %.4g", $0.name, $0.value) }.joined(separator: ", ") + "]"
        }
        line += String(format: " train %.2f%%", 100 * trainAccuracy)
        if let val = validationAccuracy { line += String(format: " val %.2f%%", 100 * val) }
        if let test = testAccuracy { line += String(format: " test %.2f%%", 100 * test) }
        line += String(format: " lr %.2e %.1fs %.0f samples/s", learningRate, seconds, samplesPerSecond)
        return line
    }
}
