import Foundation
import NN

/// One epoch's figures, as written to metrics.jsonl.
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
    public let learningRate: Float
    public let seconds: Double
    public let samplesPerSecond: Double

    var json: [String: Any] {
        var entry: [String: Any] = [
            "phase": phase, "epoch": epoch, "loss": loss, "train_acc": trainAccuracy, "lr": learningRate, "seconds": seconds, "samples_per_s": samplesPerSecond,
        ]
        entry["loss_soft"] = softLoss
        entry["loss_hard"] = hardLoss
        entry["val_acc"] = validationAccuracy
        entry["test_acc"] = testAccuracy
        return entry
    }
}

/// A training run stopped because the loss or the weights stopped being finite.
public struct NonFiniteError: Error, CustomStringConvertible {
    public let description: String
}

/// Trains a model on the training split with a given objective, evaluating after every epoch.
public final class Trainer {
    let splits: DataSplits
    let progress: Progress
    let log: MetricsLog

    public init(splits: DataSplits, progress: Progress, log: MetricsLog) {
        self.splits = splits
        self.progress = progress
        self.log = log
    }

    /// Runs `config.epochs` epochs of `objective` on `model`; data order is drawn from `seed`.
    /// `afterEpoch` is called with each record (e.g. to save a checkpoint).
    @discardableResult
    public func train(
        _ model: Sequential, phase: String, config: TrainingConfig, objective: Objective, seed: UInt64,
        afterEpoch: (EpochRecord) throws -> Void = { _ in }
    ) throws -> [EpochRecord] {
        let optimizer = OptimizerFactory.make(config.optimizer, parameters: model.parameters)
        let schedule = OptimizerFactory.schedule(config.schedule, epochs: config.epochs)
        let batches = try BatchIterator(dataset: splits.train, batchSize: config.batchSize, seed: seed)
        let gradient = Tensor(shape: [0])
        var records: [EpochRecord] = []
        for epoch in 0..<config.epochs {
            let learningRate = schedule.learningRate(base: config.optimizer.lr, epoch: epoch)
            objective.beginEpoch(epoch, of: config.epochs)
            let start = Date()
            var sums = (loss: 0.0, soft: 0.0, hard: 0.0, correct: 0, seen: 0)
            var sawSoft = false
            var sawHard = false
            var batchIndex = 0
            let batchCount = batches.batchesPerEpoch
            batches.startEpoch()
            while batches.next() {
                batchIndex += 1
                model.zeroGrad()
                let logits = model.forward(batches.inputs, training: true)
                let parts = objective.loss(logits: logits, input: batches.inputs, labels: batches.labels,
                                           indices: batches.indices, gradient: gradient)
                guard parts.total.isFinite else {
                    throw NonFiniteError(description: "\(phase): loss became \(parts.total) at epoch \(epoch + 1), batch \(batchIndex); stopping (the last good checkpoint is kept)")
                }
                let n = batches.labels.count
                sums.correct += logits.correctPredictions(batches.labels)
                model.accumulateGradients(gradient)  // parameter gradients only: the input needs no dx
                optimizer.step(learningRate: learningRate)
                sums.loss += Double(parts.total) * Double(n)
                if let soft = parts.soft { sums.soft += Double(soft) * Double(n); sawSoft = true }
                if let hard = parts.hard { sums.hard += Double(hard) * Double(n); sawHard = true }
                sums.seen += n
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(sums.seen) / max(elapsed, 1e-9)
                let remaining = Double(config.epochs - epoch - 1) * Double(splits.train.count) / rate
                    + Double(splits.train.count - sums.seen) / rate
                progress.batch(phase: phase, epoch: epoch + 1, epochs: config.epochs, batch: batchIndex,
                               batches: batchCount, loss: parts.total, samplesPerSecond: rate, secondsLeft: remaining)
            }
            let seconds = Date().timeIntervalSince(start)
            try checkFinite(model, phase: phase, epoch: epoch + 1)
            let seen = Double(max(sums.seen, 1))
            let record = EpochRecord(
                phase: phase, epoch: epoch + 1, loss: sums.loss / seen, softLoss: sawSoft ? sums.soft / seen : nil,
                hardLoss: sawHard ? sums.hard / seen : nil, trainAccuracy: Double(sums.correct) / seen,
                validationAccuracy: splits.validation.map { accuracy(model, on: $0) },
                testAccuracy: splits.test.map { accuracy(model, on: $0) }, learningRate: learningRate, seconds: seconds,
                samplesPerSecond: Double(sums.seen) / max(seconds, 1e-9))
            records.append(record)
            try log.append(record.json)
            progress.epochLine(Self.describe(record, epochs: config.epochs))
            try afterEpoch(record)
        }
        return records
    }

    /// Top-1 accuracy of `model` (eval mode) on `dataset`.
    public func accuracy(_ model: Sequential, on dataset: Dataset) -> Double {
        ClassificationMetrics(logits: Inference.logits(of: model, on: dataset), labels: dataset.labels).accuracy
    }

    private func checkFinite(_ model: Sequential, phase: String, epoch: Int) throws {
        for (key, parameter) in model.namedParameters where !parameter.value.data.allSatisfy(\.isFinite) {
            throw NonFiniteError(description: "\(phase): weight \(key) is not finite after epoch \(epoch); stopping (the last good checkpoint is kept)")
        }
    }

    static func describe(_ r: EpochRecord, epochs: Int) -> String {
        var line = String(format: "[%@] epoch %d/%d loss %.4f", r.phase, r.epoch, epochs, r.loss)
        if let soft = r.softLoss, let hard = r.hardLoss { line += String(format: " (soft %.4f, hard %.4f)", soft, hard) }
        line += String(format: " train %.2f%%", 100 * r.trainAccuracy)
        if let val = r.validationAccuracy { line += String(format: " val %.2f%%", 100 * val) }
        if let test = r.testAccuracy { line += String(format: " test %.2f%%", 100 * test) }
        line += String(format: " lr %.2e %.1fs %.0f samples/s", r.learningRate, r.seconds, r.samplesPerSecond)
        return line
    }
}
