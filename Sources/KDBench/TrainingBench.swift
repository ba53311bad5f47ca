import Distill
import Foundation

/// How a training case gets its loss.
public enum BenchMode: String, Sendable {
    /// Cross-entropy with the labels.
    case hard
    /// KD loss on teacher soft targets computed once over the training set and gathered per batch.
    case kdCached = "kd-cached"
    /// KD loss with the teacher run (eval mode) on every batch, as torch_kd.py does.
    case kdLive = "kd-live"
    /// KD loss on teacher soft targets cached once for `TrainingBench.views` augmented views
    /// (`distillation.cache_views`; needs an augmentation).
    case kdViews = "kd-views"
}

/// One timed training case: `model` trained in `mode`; the KD modes distill from `teacher`.
struct TrainingCase {
    let model: String
    let mode: BenchMode
    let teacher: String?
}

/// The figures of one training case.
struct TrainingResult {
    let name: String
    let mode: BenchMode
    let teacher: String?
    let samplesPerSecond: Double
    /// Median seconds of a full epoch over the training set (measured in epoch mode, else
    /// extrapolated from samples/s).
    let epochSeconds: Double
    let measuredEpochs: Bool
    /// Seconds spent building the cached soft targets (kd-cached and kd-views only; once per
    /// run, not per epoch).
    let cacheSeconds: Double?
    /// 3 × forward FLOPs of the trained model (+ 1 × teacher forward when live), per sample.
    let flopsPerSample: Double
    var gflops: Double { flopsPerSample * samplesPerSecond / 1e9 }
    /// samples/s the step's sgemm calls alone would allow at their measured rates.
    let gemmBoundSamplesPerSecond: Double
    /// Milliseconds per step in each part of the step (profiled runs only).
    let profile: [ProfileRow]?
}

/// Milliseconds per training step spent in one part of it.
struct ProfileRow {
    let part: String
    let forwardMs: Double
    let backwardMs: Double
}

/// Runs training steps exactly as `Trainer` does (the same `TrainingStep`) with Adam lr 1e-3
/// and the KD settings of torch_kd.py (T = 4, alpha = 0.9).
enum TrainingBench {
    static let temperature: Float = 4
    static let alpha: Float = 0.9
    /// The key of every augmented batch (the views' epoch 0).
    static let augmentKey = AugmentKey(seed: 1, phase: 3, epoch: 0)
    /// Views the kd-views case caches.
    static let views = 4

    /// Trains a fresh `spec` model on `data`: `epochs` full epochs (median epoch time), or
    /// `steps` batches after 3 warm-up batches when `epochs` is nil. The KD modes need
    /// `teacherSpec` (the cases list gives one to each).
    static func run(
        _ spec: ModelSpec, mode: BenchMode, teacher teacherSpec: ModelSpec?, data: Dataset, batch: Int,
        epochs: Int?, steps: Int, gemmRates: [GEMMShape: Double], profile: Bool = false,
        augment: BatchAugmentation? = nil
    ) throws -> TrainingResult {
        var rng = SplitMix64(seed: 1)
        let model = try ModelBuilder.build(spec, rng: &rng)
        var flops = 3 * Double(model.flopsPerSample)
        var cacheSeconds: Double?
        var objective: Objective = HardLabelObjective()
        var liveTeacher: Sequential?
        if mode != .hard, let teacherSpec {
            var teacherRng = SplitMix64(seed: 2)
            let teacher = TeacherModel(model: try ModelBuilder.build(teacherSpec, rng: &teacherRng))
            let targets: TeacherTargets
            let start = MonotonicClock.seconds
            switch (mode, augment) {
            case (.kdCached, _):
                targets = TeacherTargets.cached(teachers: [teacher], dataset: data, temperature: temperature)
                cacheSeconds = MonotonicClock.seconds - start
            case (.kdViews, let augment?):
                targets = TeacherTargets.cachedViews(
                    teachers: [teacher], dataset: data, output: .softened(temperature: temperature), views: views,
                    augment: augment.cropFlip, key: Self.augmentKey)
                cacheSeconds = MonotonicClock.seconds - start
            default:
                targets = TeacherTargets.live(teachers: [teacher], temperature: temperature)
                flops += Double(teacher.model.flopsPerSample)
                liveTeacher = teacher.model
            }
            objective = DistillationObjective(targets: targets, alpha: alpha, divergence: .kl)
        }
        let step = TrainingStep(model: model, objective: objective, optimizer: Adam(parameters: model.parameters))
        // A mixed image has no cached view: the cached-views case crops and flips only.
        let stepAugment = mode == .kdViews ? augment.map { BatchAugmentation(cropFlip: $0.cropFlip) } : augment
        step.augmentation = stepAugment.map { ($0, Self.augmentKey) }
        let batches = try BatchIterator(dataset: data, batchSize: batch, seed: 3)
        let layerProfile = profile ? ModelProfile(model) : nil
        // The live teacher's forward passes, timed inside the loss row, get rows of their own.
        let teacherProfile = profile && mode == .kdLive ? liveTeacher.map { ModelProfile($0, label: "teacher ") } : nil
        let timings = StepTimings()
        step.timings = timings
        var profiledSteps = 0
        func run() {
            _ = step.loss(on: batches)
            step.apply(learningRate: 1e-3)
            profiledSteps += 1
        }
        var samplesPerSecond: Double
        var epochSeconds: Double
        if let epochs {
            var times: [Double] = []
            for _ in 0..<epochs {
                batches.startEpoch()
                let start = MonotonicClock.seconds
                while batches.next() { run() }
                times.append(MonotonicClock.seconds - start)
            }
            epochSeconds = median(times)
            samplesPerSecond = Double(data.count) / epochSeconds
        } else {
            batches.startEpoch()
            for _ in 0..<3 where batches.next() { run() }
            layerProfile?.reset()
            teacherProfile?.reset()
            timings.reset()
            profiledSteps = 0
            var seen = 0
            let start = MonotonicClock.seconds
            for _ in 0..<steps {
                if !batches.next() {
                    batches.startEpoch()
                    _ = batches.next()
                }
                run()
                seen += batches.labels.count
            }
            samplesPerSecond = Double(seen) / (MonotonicClock.seconds - start)
            epochSeconds = Double(data.count) / samplesPerSecond
        }
        let shapes = GEMMBench.trainingShapes(of: model, batch: batch)
        return TrainingResult(
            name: spec.name, mode: mode, teacher: teacherSpec?.name, samplesPerSecond: samplesPerSecond,
            epochSeconds: epochSeconds, measuredEpochs: epochs != nil, cacheSeconds: cacheSeconds,
            flopsPerSample: flops,
            gemmBoundSamplesPerSecond: GEMMBench.boundSamplesPerSecond(shapes, batch: batch, rates: gemmRates),
            profile: layerProfile.map {
                profileRows(
                    $0, teacher: teacherProfile, steps: profiledSteps,
                    augment: augment.map { _ in timings.augmentSeconds }, loss: timings.lossSeconds,
                    optimizer: timings.optimizerSeconds)
            })
    }

    /// Per-layer and per-part milliseconds per step (the loss's gradient is counted as its
    /// forward; the augmentation, when timed, as a forward row before the layers; a live
    /// teacher's layers after the loss, whose row includes them).
    private static func profileRows(
        _ profile: ModelProfile, teacher: ModelProfile?, steps: Int, augment: Double?, loss: Double,
        optimizer: Double
    ) -> [ProfileRow] {
        let perStep = 1000 / Double(max(1, steps))
        var rows = augment.map { [ProfileRow(part: "augment", forwardMs: $0 * perStep, backwardMs: 0)] } ?? []
        rows += profile.rows(steps: steps)
        rows.append(ProfileRow(part: "loss", forwardMs: loss * perStep, backwardMs: 0))
        rows += teacher?.rows(steps: steps) ?? []
        rows.append(ProfileRow(part: "optimizer", forwardMs: 0, backwardMs: optimizer * perStep))
        return rows
    }

    /// Milliseconds per sample of eval-mode forward passes at `batch` (median of timed calls).
    static func latency(_ spec: ModelSpec, data: Dataset, batch: Int, minSeconds: Double) throws -> Double {
        var rng = SplitMix64(seed: 1)
        let model = try ModelBuilder.build(spec, rng: &rng)
        let per = data.sampleSize
        let n = min(batch, data.count)
        let input = Tensor(shape: [n] + data.sampleShape, data: Array(data.samples[0..<(n * per)]))
        for _ in 0..<3 { _ = model.forward(input, training: false) }
        var times: [Double] = []
        let begin = MonotonicClock.seconds
        repeat {
            let start = MonotonicClock.seconds
            _ = model.forward(input, training: false)
            times.append((MonotonicClock.seconds - start) * 1000 / Double(n))
        } while MonotonicClock.seconds - begin < minSeconds || times.count < 5
        return median(times)
    }
}
