import Distill
import Foundation

/// `kd bench`: sgemm GFLOP/s at the shapes the models use, training samples/s and achieved
/// GFLOP/s for the MLP and CNN teachers and students (hard labels, KD with cached teacher
/// soft targets, KD with the teacher run every step) and the ResNet-8 teacher and student (hard
/// labels, KD with the teacher run every step: caching a ResNet teacher's targets costs minutes),
/// inference latency at batch 1 and 256, and the process's peak resident memory.
///
/// FLOP convention: forward FLOPs per sample come from the model (`Sequential.flopsPerSample`,
/// a multiply-add counts 2); a training step counts 3 × forward (backward ≈ 2 × forward), plus
/// 1 × the teacher's forward when the teacher runs every step. The first layer computes no input
/// gradient, so the true work is a little below that count (PyTorch skips it too).
public struct Benchmark {
    public struct Options {
        /// Folder holding the specs of `Benchmark.models` (mlp-teacher.yaml, ...).
        public var modelsDirectory = "Models"
        public var dataDirectory: String?
        /// Synthetic data of Fashion-MNIST's shape even when the real files are there.
        public var synthetic = false
        public var batchSize = 128
        /// Full epochs per training case (median epoch time); nil: `steps` batches per case.
        public var epochs: Int?
        public var steps = 150
        /// Seconds of sgemm timing per shape.
        public var gemmSeconds = 0.5
        /// Seconds of latency timing per model and batch size.
        public var latencySeconds = 1.0
        /// Print the milliseconds per step of every layer's forward and backward, the loss and
        /// the optimizer for each training case.
        public var profile = false
        /// Augment every training batch with this (its cost is the profile's `augment` row); nil: none.
        public var augment: BatchAugmentation?
        /// Restrict training cases to these models (nil: all).
        public var only: Set<String>?
        public var quick = false {
            didSet {
                if quick {
                    steps = 30
                    gemmSeconds = 0.15
                    latencySeconds = 0.25
                }
            }
        }
        public init() {}
    }

    let options: Options
    let report: (String) -> Void

    public init(options: Options, report: @escaping (String) -> Void) {
        self.options = options
        self.report = report
    }

    /// The models benchmarked, by spec file stem.
    public static let models = [
        "mlp-teacher", "mlp-student", "cnn-torchref", "cnn-student", "resnet8-teacher", "resnet8-student",
    ]

    /// Runs everything; returns the JSON document (also printed as tables through `report`).
    public func run() throws -> [String: Any] {
        let specs = try Self.models.reduce(
            into: [String: ModelSpec]()
        ) {
            $0[$1] = try ModelSpec.load(path: "\(options.modelsDirectory)/\($1).yaml")
        }
        let (data, dataName) = try loadData()
        report(
            "data: \(dataName), \(data.count) training samples \(data.sampleShape); batch \(options.batchSize); "
                + "OpenBLAS threads: \(BLASThreads.count.map(String.init) ?? "unknown (not OpenBLAS)")")
        report(BLASKernels.summary)

        // sgemm at the shapes of every model's training step, and 1024^3.
        let batch = options.batchSize
        var shapes: [GEMMShape] = [GEMMShape(transA: false, transB: false, m: 1024, n: 1024, k: 1024)]
        for name in specs.keys.sorted() {
            var rng = SplitMix64(seed: 0)
            let model = try ModelBuilder.build(specs[name]!, rng: &rng)
            for s in GEMMBench.trainingShapes(of: model, batch: batch) where !shapes.contains(s) { shapes.append(s) }
        }
        var rates: [GEMMShape: Double] = [:]
        var gemmRows: [[String: Any]] = []
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let reference = BLASThreads.with(threads: cores) {
            GEMMBench.gflops(shapes[0], minSeconds: options.gemmSeconds)
        }
        report("\nsgemm (GFLOP/s, median of 5)")
        report(
            "  " + pad(shapes[0].label, 24) + String(format: " %7.1f", reference)
                + "  OpenBLAS's own \(cores) threads: the machine's reference rate")
        report("  kd's sgemm (OpenBLAS on one thread, products split over the cores by kd):")
        for s in shapes {
            let r = GEMMBench.gflops(s, minSeconds: options.gemmSeconds)
            rates[s] = r
            gemmRows.append(["shape": s.label, "m": s.m, "n": s.n, "k": s.k, "gflops": r])
            report("  " + pad(s.label, 24) + String(format: " %7.1f", r))
        }

        let allCases: [TrainingCase] = [
            TrainingCase(model: "mlp-teacher", mode: .hard, teacher: nil),
            TrainingCase(model: "mlp-student", mode: .hard, teacher: nil),
            TrainingCase(model: "mlp-student", mode: .kdCached, teacher: "mlp-teacher"),
            TrainingCase(model: "mlp-student", mode: .kdLive, teacher: "mlp-teacher"),
            TrainingCase(model: "cnn-torchref", mode: .hard, teacher: nil),
            TrainingCase(model: "cnn-student", mode: .hard, teacher: nil),
            TrainingCase(model: "cnn-student", mode: .kdCached, teacher: "cnn-torchref"),
            TrainingCase(model: "cnn-student", mode: .kdLive, teacher: "cnn-torchref"),
            TrainingCase(model: "resnet8-teacher", mode: .hard, teacher: nil),
            TrainingCase(model: "resnet8-student", mode: .hard, teacher: nil),
            TrainingCase(model: "resnet8-student", mode: .kdLive, teacher: "resnet8-teacher"),
        ]
        // Cached views need the augmentation they cache.
        let viewCases =
            options.augment == nil
            ? [] : [TrainingCase(model: "cnn-student", mode: .kdViews, teacher: "cnn-torchref")]
        let cases = (allCases + viewCases).filter { options.only?.contains($0.model) ?? true }
        report(
            "\ntraining (Adam, batch \(batch); \(options.epochs.map { "median of \($0) full epochs" } ?? "\(options.steps) steps after 3 warm-up"))"
        )
        report(
            "  model           mode       teacher          samples/s  epoch s  GFLOP/s  sgemm-bound samples/s  % of bound"
        )
        var trainRows: [[String: Any]] = []
        for c in cases {
            let r = try TrainingBench.run(
                specs[c.model]!, mode: c.mode, teacher: c.teacher.flatMap { specs[$0] }, data: data, batch: batch,
                epochs: options.epochs, steps: options.steps, gemmRates: rates, profile: options.profile,
                augment: options.augment)
            var row: [String: Any] = [
                "model": r.name, "mode": r.mode.rawValue, "samples_per_s": r.samplesPerSecond,
                "epoch_s": r.epochSeconds, "epoch_s_measured": r.measuredEpochs, "flops_per_sample": r.flopsPerSample,
                "gflops": r.gflops, "gemm_bound_samples_per_s": r.gemmBoundSamplesPerSecond,
            ]
            row["teacher"] = r.teacher
            row["cache_s"] = r.cacheSeconds
            trainRows.append(row)
            report(
                "  " + pad(r.name, 15) + " " + pad(r.mode.rawValue, 10) + " " + pad(r.teacher ?? "-", 15)
                    + String(
                        format: " %10.0f %8.2f %8.1f %22.0f %10.0f%%", r.samplesPerSecond,
                        r.epochSeconds, r.gflops, r.gemmBoundSamplesPerSecond,
                        100 * r.samplesPerSecond / r.gemmBoundSamplesPerSecond)
                    + (r.cacheSeconds.map {
                        String(
                            format: "  (cache%@ built in %.2f s)",
                            r.mode == .kdViews ? " of \(TrainingBench.views) views" : "", $0)
                    } ?? ""))
            for part in r.profile ?? [] {
                report(
                    "      " + pad(part.part, 46)
                        + String(format: " forward %8.3f ms  backward %8.3f ms", part.forwardMs, part.backwardMs))
            }
        }

        report(
            "\ninference (eval mode, ms per sample, median; at batch \(batch): samples/s and their share of what the "
                + "forward pass's own sgemm calls allow at the rates above)")
        var inferenceRows: [[String: Any]] = []
        for name in Self.models {
            let one = try TrainingBench.latency(specs[name]!, data: data, batch: 1, minSeconds: options.latencySeconds)
            let many = try TrainingBench.latency(
                specs[name]!, data: data, batch: 256, minSeconds: options.latencySeconds)
            let atBatch = try TrainingBench.latency(
                specs[name]!, data: data, batch: batch, minSeconds: options.latencySeconds)
            var rng = SplitMix64(seed: 0)
            let forward = GEMMBench.forwardShapes(of: try ModelBuilder.build(specs[name]!, rng: &rng), batch: batch)
            let samplesPerSecond = 1000 / atBatch
            let bound = GEMMBench.boundSamplesPerSecond(forward, batch: batch, rates: rates)
            inferenceRows.append([
                "model": name, "batch1_ms": one, "batch256_ms_per_sample": many, "batch": batch,
                "samples_per_s": samplesPerSecond, "gemm_bound_samples_per_s": bound,
            ])
            report(
                "  " + pad(name, 15)
                    + String(
                        format:
                            " batch 1: %8.4f ms   batch 256: %8.5f ms/sample   batch %d: %8.0f samples/s, %3.0f%% of %.0f",
                        one, many, batch, samplesPerSecond, 100 * samplesPerSecond / bound, bound))
        }

        let rss = peakResidentMegabytes()
        report(String(format: "\npeak resident memory: %.1f MB", rss))
        return [
            "data": dataName, "batch_size": batch, "blas_threads": BLASThreads.count as Any,
            "blas_kernels": BLASKernels.coreName as Any,
            "sgemm_reference_gflops": reference,
            "sgemm_reference": "\(shapes[0].label), OpenBLAS's own \(cores) threads",
            "flops_convention":
                "training = 3 x forward FLOPs per sample (+1 x teacher forward when live); multiply-add = 2",
            "sgemm": gemmRows, "training": trainRows, "inference": inferenceRows, "peak_rss_mb": rss,
            "machine": Self.machine(),
        ]
    }

    private func loadData() throws -> (Dataset, String) {
        if !options.synthetic,
            let splits = try? DataSplits.load(
                DataConfig(source: .fashionMNIST), seed: 0, dataDir: options.dataDirectory)
        {
            return (splits.train, "fashion-mnist (real)")
        }
        var rng = SplitMix64(seed: 11)
        let n = 60000
        let samples = (0..<(n * 784)).map { _ in rng.nextUnit() }
        let labels = (0..<n).map { _ in Int32(rng.next() % 10) }
        let data = try Dataset(
            name: "synthetic", samples: samples, sampleShape: [1, 28, 28], labels: labels, classCount: 10)
        return (data, "synthetic (uniform [0,1), Fashion-MNIST's shape)")
    }

    /// ru_maxrss of this process, in MB.
    static func peakResidentMegabytesValue() -> Double {
        var usage = rusage()
        #if os(Linux)
            getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_maxrss) / 1024
    }

    private func peakResidentMegabytes() -> Double { Self.peakResidentMegabytesValue() }

    static func machine() -> [String: Any] {
        var model = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
            let value = line.split(separator: ":", maxSplits: 1).last
        {
            model = value.trimmingCharacters(in: .whitespaces)
        }
        return ["cpu": model, "cores": ProcessInfo.processInfo.activeProcessorCount]
    }
}

/// `text` left-aligned in `width` columns.
private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}
