import Foundation
import NN

/// Where a trainer keeps resume files, whether it continues from them, and where it stops.
public struct ResumePolicy: Sendable {
    /// The run folder that holds `<phase>.resume.safetensors`; nil keeps none.
    public var folder: URL?
    /// Continue every phase from its resume file in `folder` (a `--resume` run).
    public var resuming: Bool
    /// Stop as on Ctrl-C at this point (the hidden `--stop-after`, for resume tests).
    public var stopAfter: StopPoint?
    /// End the process as `kill -9` would at this point (the hidden `--crash-at`, for tests).
    public var crashAt: CrashPoint?

    public init(folder: URL?, resuming: Bool = false, stopAfter: StopPoint? = nil, crashAt: CrashPoint? = nil) {
        self.folder = folder
        self.resuming = resuming
        self.stopAfter = stopAfter
        self.crashAt = crashAt
    }

    /// No resume files, nothing to continue.
    public static let none = ResumePolicy(folder: nil)

    /// The resume file of `phase`, when resume files are kept.
    public func file(for phase: String) -> URL? {
        folder?.appendingPathComponent("\(phase).resume.safetensors")
    }
}

/// Trains a model on the training split with a given objective, evaluating after every epoch.
///
/// Reliability: a non-finite loss stops the run naming the epoch and batch (weights are checked
/// after every epoch), before anything of that epoch is saved, so the last good checkpoint stays.
/// With a resume folder, a `<phase>.resume.safetensors` (see `TrainingState`) is written
/// atomically after every epoch; a resuming policy continues from it bit for bit. Ctrl-C (see
/// `StopRequest`) or `stopAfter` saves the state between two batches and throws `InterruptedError`.
public final class Trainer {
    let splits: DataSplits
    let progress: Progress
    let log: MetricsLog
    public let resume: ResumePolicy
    /// The augmentation of training batches and the run seed keying it; nil: none.
    public let augment: (kernel: BatchAugmentation, runSeed: UInt64)?
    /// The ranks sharing every batch (data parallelism under mpirun; one process otherwise).
    public let collective: Collective

    public init(
        splits: DataSplits, progress: Progress, log: MetricsLog, resume: ResumePolicy = .none,
        augment: (kernel: BatchAugmentation, runSeed: UInt64)? = nil, collective: Collective = SingleProcess()
    ) {
        self.splits = splits
        self.progress = progress
        self.log = log
        self.resume = resume
        self.augment = augment
        self.collective = collective
    }

    /// Runs `config.epochs` epochs of `objective` on `model`; data order is drawn from `seed`.
    /// The augmentation is keyed by `augmentationPhase` (the phase's seed, the one its cached
    /// teacher views were keyed by), with the run seed, the epoch (e mod V when the objective's
    /// teacher outputs are cached for V views) and each sample's index, and applied to every
    /// batch before the model and the objective (a live teacher) see it.
    /// `afterEpoch` is called with each record (e.g. to save a checkpoint). When resuming a
    /// phase that already finished, restores its final weights and returns no records.
    @discardableResult
    public func train(
        _ model: Sequential, phase: String, config: TrainingConfig, objective: Objective, seed: UInt64,
        augmentationPhase: UInt64, afterEpoch: (EpochRecord) throws -> Void = { _ in }
    ) throws -> [EpochRecord] {
        objective.attach(to: model)
        let step = TrainingStep(
            model: model, objective: objective,
            optimizer: OptimizerFactory.make(config.optimizer, parameters: model.parameters + objective.parameters))
        let schedule = OptimizerFactory.schedule(config.schedule, epochs: config.epochs)
        let dropLast = try dropsSingleSample(model, objective: objective, batchSize: config.batchSize, phase: phase)
        let batches = try BatchIterator(
            dataset: splits.train, batchSize: config.batchSize, seed: seed, dropLast: dropLast,
            shard: (collective.rank, collective.size))
        let sharing: StepSharing =
            collective.size > 1
            ? DataParallel(collective: collective, step: step, syncBatchnorm: config.syncBatchnorm)
            : SingleProcessStep(step: step)
        var records: [EpochRecord] = []
        var resumed = try continuation(of: phase, step: step, config: config, batches: batches)
        try sharing.broadcastState()
        if resumed?.isComplete == true { return [] }
        for epoch in (resumed?.epoch ?? 0)..<config.epochs {
            let learningRate = schedule.learningRate(base: config.optimizer.lr, epoch: epoch)
            objective.beginEpoch(epoch, of: config.epochs)
            let start = MonotonicClock.seconds
            var sums = TrainingState.Sums()
            let batchCount = batches.batchesPerEpoch
            if let state = resumed, state.batch > 0 {
                try batches.resumeEpoch(order: state.order, batchesDone: state.batch)
                sums = state.position.sums
            } else {
                batches.startEpoch()
            }
            resumed = nil
            crash(phase, epoch + 1, .start)
            var batchIndex = batches.batchIndex
            let augmentEpoch = objective.augmentationViews.map { epoch % $0 } ?? epoch
            step.augmentation = augment.map {
                ($0.kernel, AugmentKey(seed: $0.runSeed, phase: augmentationPhase, epoch: augmentEpoch))
            }
            while batches.next() {
                batchIndex += 1
                sharing.place(batches)
                let local = step.loss(on: batches)
                let (parts, correct, stopRequested) = sharing.finish(
                    local.parts, correct: local.correct, batches: batches)
                guard parts.total.isFinite else {
                    throw TrainingError.nonFiniteLoss(
                        phase: phase, loss: parts.total, epoch: epoch + 1, batch: batchIndex,
                        learningRate: learningRate, cause: objective.nonFiniteCause())
                }
                step.update(learningRate: learningRate)
                crash(phase, epoch + 1, .batch(batchIndex))
                sums.add(parts, correct: correct, samples: batches.globalBatch)
                sums.addFeatures(objective.featureTermLosses, samples: batches.globalBatch)
                let elapsed = MonotonicClock.seconds - start
                let rate = Double(sums.seen) / max(elapsed, 1e-9)
                let remaining =
                    Double(config.epochs - epoch - 1) * Double(splits.train.count) / rate
                    + Double(splits.train.count - sums.seen) / rate
                progress.batch(
                    phase: phase, epoch: epoch + 1, epochs: config.epochs, batch: batchIndex,
                    batches: batchCount, loss: parts.total, samplesPerSecond: rate, secondsLeft: remaining)
                if batchIndex < batchCount,
                    shouldStop(phase: phase, epoch: epoch + 1, batch: batchIndex, requested: stopRequested)
                {
                    try checkFinite(model, phase: phase, epoch: epoch + 1, batch: batchIndex)
                    try stop(
                        phase: phase, epoch: epoch + 1, batch: batchIndex,
                        state: TrainingState(
                            phase: phase, epochs: config.epochs, epoch: epoch, batch: batchIndex, step: step,
                            batchRNG: batches.rng, order: batches.currentOrder, sums: sums, metricsLines: log.count))
                }
            }
            let seconds = MonotonicClock.seconds - start
            try checkFinite(model, phase: phase, epoch: epoch + 1, batch: batchIndex)
            let seen = Double(max(sums.seen, 1))
            sharing.broadcastBuffers()
            let validation = splits.validation.map { metrics(model, on: $0) }
            let test = splits.test.map { metrics(model, on: $0) }
            let record = EpochRecord(
                phase: phase, epoch: epoch + 1, loss: sums.loss / seen, softLoss: sums.sawSoft ? sums.soft / seen : nil,
                hardLoss: sums.sawHard ? sums.hard / seen : nil, trainAccuracy: Double(sums.correct) / seen,
                validationAccuracy: validation?.accuracy, testAccuracy: test?.accuracy,
                validationLoss: validation?.loss, testLoss: test?.loss, learningRate: learningRate, seconds: seconds,
                samplesPerSecond: Double(sums.seen) / max(seconds, 1e-9),
                featureLosses: zip(objective.featureTermNames, sums.features ?? []).map { ($0, $1 / seen) })
            records.append(record)
            try log.append(record.json)
            crash(phase, epoch + 1, .metrics)
            progress.epochLine(record.line(epochs: config.epochs))
            if let line = sharing.epochSummary { progress.message(line) }
            try afterEpoch(record)
            crash(phase, epoch + 1, .checkpoint)
            let state = TrainingState(
                phase: phase, epochs: config.epochs, epoch: epoch + 1, batch: 0, step: step,
                batchRNG: batches.rng, order: [], sums: TrainingState.Sums(), metricsLines: log.count)
            if let url = resume.file(for: phase) { try state.save(to: url) }
            crash(phase, epoch + 1, .resume)
            if epoch + 1 < config.epochs,
                shouldStop(
                    phase: phase, epoch: epoch + 1, batch: nil,
                    requested: sharing.stopRequestedAtEpochEnd)
            {
                try stop(phase: phase, epoch: epoch + 1, batch: nil, state: state)
            }
        }
        return records
    }

    /// The hidden `--crash-at`: SIGKILL here when it names this point (and this rank).
    private func crash(_ phase: String, _ epoch: Int, _ moment: CrashPoint.Moment) {
        resume.crashAt?.crash(ifAt: phase, epoch: epoch, moment, rank: collective.rank)
    }

    /// When resuming, the saved state of `phase` restored into `step` and `batches` (nil when
    /// the phase starts from scratch). The metrics log is cut back to what the state had
    /// written, so a line written after the last resume file is not written twice.
    private func continuation(
        of phase: String, step: TrainingStep, config: TrainingConfig,
        batches: BatchIterator
    ) throws -> TrainingState? {
        guard resume.resuming, let url = resume.file(for: phase) else { return nil }
        guard FileManager.default.fileExists(atPath: url.path) else {
            // Killed before this phase's first resume file: its first epoch may have logged.
            try log.removeLines(ofPhase: phase)
            return nil
        }
        let state = try TrainingState.load(from: url)
        try state.restore(into: step, batches: batches, phase: phase, epochs: config.epochs, log: log, url: url)
        if state.isComplete {
            progress.message(
                "\(phase): already finished (\(state.epoch) epochs); weights restored from \(url.lastPathComponent)")
            return state
        }
        try log.truncate(to: state.position.metricsLines)
        progress.message(
            "\(phase): resuming at epoch \(state.epoch + 1)\(state.batch > 0 ? ", batch \(state.batch + 1)" : "") from \(url.lastPathComponent)"
        )
        return state
    }

    /// Ctrl-C was pressed (`requested`: on any rank, as of the last step), or the test stop
    /// point is here.
    private func shouldStop(phase: String, epoch: Int, batch: Int?, requested: Bool) -> Bool {
        if requested { return true }
        guard let point = resume.stopAfter, point.phase == phase, point.epoch == epoch else { return false }
        return point.batch == batch
    }

    /// Saves `state` (when resume files are kept) and throws `InterruptedError`.
    private func stop(phase: String, epoch: Int, batch: Int?, state: TrainingState) throws -> Never {
        let at = "\(phase) epoch \(epoch)" + (batch.map { ", batch \($0)" } ?? " (end)")
        guard let url = resume.file(for: phase) else {
            throw InterruptedError(point: at, resumeFile: nil, runFolder: nil)
        }
        try state.save(to: url)
        throw InterruptedError(point: at, resumeFile: url.path, runFolder: resume.folder?.path)
    }

    /// BatchNorm in training needs more than one value per channel: when the model has a
    /// BatchNorm seeing one value per channel per sample and the last batch would hold a single
    /// sample, that sample is dropped from every epoch (as PyTorch's `drop_last` would).
    private func dropsSingleSample(_ model: Sequential, objective: Objective, batchSize: Int, phase: String) throws
        -> Bool
    {
        let reason: String
        if model.normalizesOneValuePerChannel {
            reason = "the model has BatchNorm"
        } else if objective.needsTwoSamplesPerBatch {
            reason = "the loss compares the samples of a batch (DIST)"
        } else {
            return false
        }
        let n = splits.train.count
        guard n >= 2 else { throw TrainingError.needsTwoSamples(phase: phase, reason: reason, samples: n) }
        guard batchSize >= 2 else {
            throw TrainingError.needsBatchOfTwo(phase: phase, reason: reason, batchSize: batchSize)
        }
        guard n % batchSize == 1 else { return false }
        progress.message("\(phase): \(n) training samples leave a last batch of 1 (\(reason)); dropping it each epoch")
        return true
    }

    /// Accuracy and cross-entropy of `model` (eval mode) on `dataset`, split over the ranks.
    public func metrics(_ model: Sequential, on dataset: Dataset) -> ClassificationMetrics {
        ClassificationMetrics(
            logits: Inference.logits(of: model, on: dataset, across: collective), labels: dataset.labels)
    }

    private func checkFinite(_ model: Sequential, phase: String, epoch: Int, batch: Int) throws {
        for (key, parameter) in model.namedParameters where !parameter.value.data.allSatisfy(\.isFinite) {
            throw TrainingError.nonFiniteWeight(phase: phase, tensor: key, epoch: epoch, batch: batch)
        }
    }
}
