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
///
/// Reliability: a non-finite loss stops the run naming the epoch and batch (weights are checked
/// after every epoch), before anything of that epoch is saved, so the last good checkpoint stays.
/// With `resumeFolder` set, a `<phase>.resume.safetensors` (see `TrainingState`) is written
/// atomically after every epoch; `resuming` continues from it bit for bit. Ctrl-C (see
/// `StopRequest`) or `stopAfter` saves the state between two batches and throws `InterruptedError`.
public final class Trainer {
    let splits: DataSplits
    let progress: Progress
    let log: MetricsLog
    /// Where resume files go (the run folder); nil writes none.
    public var resumeFolder: URL?
    /// Continue phases from their resume files in `resumeFolder`.
    public var resuming = false
    /// Stop (as on Ctrl-C) at this point; for resume tests.
    public var stopAfter: StopPoint?
    /// The command that continues the run (for the interruption message).
    public var resumeHint = ""

    public init(splits: DataSplits, progress: Progress, log: MetricsLog) {
        self.splits = splits
        self.progress = progress
        self.log = log
    }

    /// The resume file of `phase`, when resume files are kept.
    public func resumeFile(for phase: String) -> URL? {
        resumeFolder?.appendingPathComponent("\(phase).resume.safetensors")
    }

    /// Runs `config.epochs` epochs of `objective` on `model`; data order is drawn from `seed`.
    /// `afterEpoch` is called with each record (e.g. to save a checkpoint). When resuming a
    /// phase that already finished, restores its final weights and returns no records.
    @discardableResult
    public func train(
        _ model: Sequential, phase: String, config: TrainingConfig, objective: Objective, seed: UInt64,
        afterEpoch: (EpochRecord) throws -> Void = { _ in }
    ) throws -> [EpochRecord] {
        let optimizer = OptimizerFactory.make(config.optimizer, parameters: model.parameters)
        let schedule = OptimizerFactory.schedule(config.schedule, epochs: config.epochs)
        let dropLast = try dropsSingleSample(model, batchSize: config.batchSize, phase: phase)
        let batches = try BatchIterator(dataset: splits.train, batchSize: config.batchSize, seed: seed, dropLast: dropLast)
        let gradient = Tensor(shape: [0])
        var records: [EpochRecord] = []
        var firstEpoch = 0
        var resumed: TrainingState?
        if resuming, let url = resumeFile(for: phase), FileManager.default.fileExists(atPath: url.path) {
            let state = try TrainingState.load(from: url)
            try state.restore(into: model, optimizer: optimizer, objective: objective, phase: phase, epochs: config.epochs,
                              datasetCount: splits.train.count, url: url)
            batches.rng = state.batchRNG
            if state.isComplete {
                progress.message("\(phase): already finished (\(state.epoch) epochs); weights restored from \(url.lastPathComponent)")
                return []
            }
            try log.truncate(to: state.position.metricsLines)
            firstEpoch = state.epoch
            resumed = state
            progress.message("\(phase): resuming at epoch \(state.epoch + 1)\(state.batch > 0 ? ", batch \(state.batch + 1)" : "") from \(url.lastPathComponent)")
        }
        for epoch in firstEpoch..<config.epochs {
            let learningRate = schedule.learningRate(base: config.optimizer.lr, epoch: epoch)
            objective.beginEpoch(epoch, of: config.epochs)
            let start = Date()
            var sums = TrainingState.Sums()
            let batchCount = batches.batchesPerEpoch
            if let state = resumed, state.batch > 0 {
                try batches.resumeEpoch(order: state.order, batchesDone: state.batch)
                sums = state.position.sums
            } else {
                batches.startEpoch()
            }
            resumed = nil
            var batchIndex = batches.batchIndex
            while batches.next() {
                batchIndex += 1
                model.zeroGrad()
                let logits = model.forward(batches.inputs, training: true)
                let parts = objective.loss(logits: logits, input: batches.inputs, labels: batches.labels,
                                           indices: batches.indices, gradient: gradient)
                guard parts.total.isFinite else {
                    throw NonFiniteError(description: "\(phase): loss became \(parts.total) at epoch \(epoch + 1), batch \(batchIndex) (learning rate \(learningRate)); stopping (the last good checkpoint is kept)")
                }
                let n = batches.labels.count
                sums.correct += logits.correctPredictions(batches.labels)
                model.accumulateGradients(gradient)  // parameter gradients only: the input needs no dx
                optimizer.step(learningRate: learningRate)
                sums.loss += Double(parts.total) * Double(n)
                if let soft = parts.soft { sums.soft += Double(soft) * Double(n); sums.sawSoft = true }
                if let hard = parts.hard { sums.hard += Double(hard) * Double(n); sums.sawHard = true }
                sums.seen += n
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(sums.seen) / max(elapsed, 1e-9)
                let remaining = Double(config.epochs - epoch - 1) * Double(splits.train.count) / rate
                    + Double(splits.train.count - sums.seen) / rate
                progress.batch(phase: phase, epoch: epoch + 1, epochs: config.epochs, batch: batchIndex,
                               batches: batchCount, loss: parts.total, samplesPerSecond: rate, secondsLeft: remaining)
                if batchIndex < batchCount, shouldStop(phase: phase, epoch: epoch + 1, batch: batchIndex) {
                    try checkFinite(model, phase: phase, epoch: epoch + 1, batch: batchIndex)
                    try stop(phase: phase, epoch: epoch + 1, batch: batchIndex, state: TrainingState(
                        phase: phase, epochs: config.epochs, epoch: epoch, batch: batchIndex, model: model, optimizer: optimizer, objective: objective,
                        batchRNG: batches.rng, order: batches.currentOrder, sums: sums, metricsLines: log.count))
                }
            }
            let seconds = Date().timeIntervalSince(start)
            try checkFinite(model, phase: phase, epoch: epoch + 1, batch: batchIndex)
            let seen = Double(max(sums.seen, 1))
            let record = EpochRecord(
                phase: phase, epoch: epoch + 1, loss: sums.loss / seen, softLoss: sums.sawSoft ? sums.soft / seen : nil,
                hardLoss: sums.sawHard ? sums.hard / seen : nil, trainAccuracy: Double(sums.correct) / seen,
                validationAccuracy: splits.validation.map { accuracy(model, on: $0) },
                testAccuracy: splits.test.map { accuracy(model, on: $0) }, learningRate: learningRate, seconds: seconds,
                samplesPerSecond: Double(sums.seen) / max(seconds, 1e-9))
            records.append(record)
            try log.append(record.json)
            progress.epochLine(Self.describe(record, epochs: config.epochs))
            try afterEpoch(record)
            let state = TrainingState(
                phase: phase, epochs: config.epochs, epoch: epoch + 1, batch: 0, model: model, optimizer: optimizer, objective: objective,
                batchRNG: batches.rng, order: [], sums: TrainingState.Sums(), metricsLines: log.count)
            if let url = resumeFile(for: phase) { try state.save(to: url) }
            if epoch + 1 < config.epochs, shouldStop(phase: phase, epoch: epoch + 1, batch: nil) {
                try stop(phase: phase, epoch: epoch + 1, batch: nil, state: state)
            }
        }
        return records
    }

    /// Ctrl-C was pressed, or the test stop point is here.
    private func shouldStop(phase: String, epoch: Int, batch: Int?) -> Bool {
        if StopRequest.requested { return true }
        guard let point = stopAfter, point.phase == phase, point.epoch == epoch else { return false }
        return point.batch == batch
    }

    /// Saves `state` (when resume files are kept) and throws `InterruptedError`.
    private func stop(phase: String, epoch: Int, batch: Int?, state: TrainingState) throws -> Never {
        let at = "\(phase) epoch \(epoch)" + (batch.map { ", batch \($0)" } ?? " (end)")
        guard let url = resumeFile(for: phase) else {
            throw InterruptedError(description: "stopped during \(at); nothing saved")
        }
        try state.save(to: url)
        throw InterruptedError(description: "stopped during \(at); resumable state saved to \(url.path)\(resumeHint.isEmpty ? "" : "; continue with: \(resumeHint)")")
    }

    /// BatchNorm in training needs more than one value per channel: when the model has a
    /// BatchNorm seeing one value per channel per sample and the last batch would hold a single
    /// sample, that sample is dropped from every epoch (as PyTorch's `drop_last` would).
    private func dropsSingleSample(_ model: Sequential, batchSize: Int, phase: String) throws -> Bool {
        let perSample = zip(model.layers, model.layerInputShapes).contains { layer, shape in
            layer is BatchNorm && shape.count >= 1 && shape.reduce(1, *) / max(shape[0], 1) == 1
        }
        guard perSample else { return false }
        let n = splits.train.count
        guard n >= 2 else {
            throw RunError("\(phase): the model has BatchNorm, which needs at least 2 training samples per batch; the training set has \(n)")
        }
        guard batchSize >= 2 else {
            throw RunError("\(phase): the model has BatchNorm, which needs batch_size >= 2 in training (got \(batchSize))")
        }
        guard n % batchSize == 1 else { return false }
        progress.message("\(phase): \(n) training samples leave a last batch of 1, which BatchNorm cannot train on; dropping it each epoch")
        return true
    }

    /// Top-1 accuracy of `model` (eval mode) on `dataset`.
    public func accuracy(_ model: Sequential, on dataset: Dataset) -> Double {
        ClassificationMetrics(logits: Inference.logits(of: model, on: dataset), labels: dataset.labels).accuracy
    }

    private func checkFinite(_ model: Sequential, phase: String, epoch: Int, batch: Int) throws {
        for (key, parameter) in model.namedParameters where !parameter.value.data.allSatisfy(\.isFinite) {
            throw NonFiniteError(description: "\(phase): weight \(key) is not finite at epoch \(epoch), batch \(batch); stopping (the last good checkpoint is kept)")
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
