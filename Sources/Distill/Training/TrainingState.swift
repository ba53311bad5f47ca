import Foundation
import NN
import SafeTensors

/// Everything a training phase needs to continue exactly where it stopped, saved atomically as
/// `<phase>.resume.safetensors` in the run folder after every epoch (and on Ctrl-C, between
/// batches): the model's state dict ("model.<key>"), the optimizer state ("optim.<name>"), the
/// batch order of an unfinished epoch ("order", I64) and, in `__metadata__["kd.resume"]`, the
/// position (epochs and batches done), the generator states (batch order, every dropout layer),
/// the running sums of the unfinished epoch and the number of metrics.jsonl lines written.
///
/// With the same config and data, resuming from it gives bit-identical weights to a run that
/// was never stopped: the learning-rate schedule is a pure function of the epoch, and every
/// other source of change is restored here.
public struct TrainingState {
    static let metadataKey = "kd.resume"

    /// Running sums of an epoch (for its metrics record).
    public struct Sums: Codable, Equatable {
        public var loss = 0.0, soft = 0.0, hard = 0.0
        public var correct = 0, seen = 0
        public var sawSoft = false, sawHard = false
        /// Sums of each feature term (nil: the objective has none).
        public var features: [Double]?
        public init() {}

        /// Adds one batch's feature terms (`Objective.featureTermLosses`), weighted by `samples`.
        mutating func addFeatures(_ values: [Float], samples: Int) {
            guard !values.isEmpty else { return }
            if features == nil { features = [Double](repeating: 0, count: values.count) }
            for i in values.indices { features![i] += Double(values[i]) * Double(samples) }
        }

        /// Adds one batch of `samples` samples, `correct` of them classified right.
        mutating func add(_ parts: LossParts, correct: Int, samples: Int) {
            let n = Double(samples)
            loss += Double(parts.total) * n
            if let soft = parts.soft {
                self.soft += Double(soft) * n
                sawSoft = true
            }
            if let hard = parts.hard {
                self.hard += Double(hard) * n
                sawHard = true
            }
            self.correct += correct
            seen += samples
        }
    }

    /// The fields stored as JSON metadata.
    struct Position: Codable {
        var phase: String
        var epochs: Int
        /// Epochs completed.
        var epoch: Int
        /// Batches of the next epoch already done (0 at an epoch boundary).
        var batch: Int
        /// Generator states as decimal strings (JSON numbers are doubles).
        var batchRNG: String
        var dropoutRNGs: [String]
        var sums: Sums
        var metricsLines: Int
        var parameterCount: Int
    }

    var position: Position
    var modelTensors: [String: (shape: [Int], values: [Float])]
    var optimizerTensors: [String: Tensor]
    /// The objective's state ("objective.<name>"), e.g. PS-KD's per-sample predictions.
    var objectiveTensors: [String: Tensor]
    var order: [Int]

    public var phase: String { position.phase }
    /// Epochs completed.
    public var epoch: Int { position.epoch }
    /// Batches of the epoch in progress already done.
    public var batch: Int { position.batch }
    /// True when the phase ran all its epochs.
    public var isComplete: Bool { position.epoch >= position.epochs && position.batch == 0 }

    /// A snapshot of a phase in progress.
    init(
        phase: String, epochs: Int, epoch: Int, batch: Int, step: TrainingStep, batchRNG: SplitMix64, order: [Int],
        sums: Sums, metricsLines: Int
    ) {
        let model = step.model
        position = Position(
            phase: phase, epochs: epochs, epoch: epoch, batch: batch, batchRNG: String(batchRNG.state),
            dropoutRNGs: Self.dropouts(of: model).map { String($0.rng.state) }, sums: sums, metricsLines: metricsLines,
            parameterCount: model.parameterCount)
        modelTensors = Dictionary(
            uniqueKeysWithValues: model.stateDict.map { ($0.key, ($0.value.shape, $0.value.data)) })
        optimizerTensors = Dictionary(
            step.optimizer.stateTensors().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        objectiveTensors = step.objective.resumableState.mapValues { $0.clone() }
        self.order = batch > 0 ? order : []
    }

    static func dropouts(of model: Sequential) -> [Dropout] { model.leafLayers.compactMap { $0.layer as? Dropout } }

    /// Writes the state atomically (temporary name, flush, rename).
    func save(to url: URL) throws {
        var writer = SafeTensorsWriter()
        // A struct of strings, integers, doubles and booleans always encodes.
        let json = (try? JSONEncoder().encode(position)) ?? Data("{}".utf8)
        writer.metadata[Self.metadataKey] = String(decoding: json, as: UTF8.self)
        for key in modelTensors.keys.sorted() {
            let t = modelTensors[key]!
            writer.add("model.\(key)", shape: t.shape, floats: t.values)
        }
        for key in optimizerTensors.keys.sorted() {
            let t = optimizerTensors[key]!
            writer.add("optim.\(key)", shape: t.shape, floats: t.data)
        }
        for key in objectiveTensors.keys.sorted() {
            let t = objectiveTensors[key]!
            writer.add("objective.\(key)", shape: t.shape, floats: t.data)
        }
        writer.add("order", shape: [order.count], int64: order.map { Int64($0) })
        try writer.write(to: url)
    }

}
