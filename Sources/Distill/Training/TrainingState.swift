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
        public init() {}
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
    init(phase: String, epochs: Int, epoch: Int, batch: Int, model: Sequential, optimizer: Optimizer,
         objective: Objective, batchRNG: SplitMix64, order: [Int], sums: Sums, metricsLines: Int) {
        position = Position(
            phase: phase, epochs: epochs, epoch: epoch, batch: batch, batchRNG: String(batchRNG.state),
            dropoutRNGs: Self.dropouts(of: model).map { String($0.rng.state) }, sums: sums, metricsLines: metricsLines,
            parameterCount: model.parameterCount)
        modelTensors = Dictionary(uniqueKeysWithValues: model.stateDict.map { ($0.key, ($0.value.shape, $0.value.data)) })
        optimizerTensors = Dictionary(optimizer.stateTensors().map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        objectiveTensors = objective.resumableState.mapValues { $0.clone() }
        self.order = batch > 0 ? order : []
    }

    static func dropouts(of model: Sequential) -> [Dropout] { model.layers.compactMap { $0 as? Dropout } }

    /// Writes the state atomically (temporary name, flush, rename).
    func save(to url: URL) throws {
        var writer = SafeTensorsWriter()
        guard let json = try? JSONEncoder().encode(position) else { throw RunError("\(url.path): cannot encode the resume state") }
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

    /// Reads a resume file; every inconsistency is an error naming the file.
    static func load(from url: URL) throws -> TrainingState {
        let file: SafeTensorsFile
        do {
            file = try SafeTensorsFile(contentsOf: url)
        } catch let error as SafeTensorsError {
            throw RunError("cannot resume: \(error.description)")
        }
        guard let json = file.metadata[metadataKey],
              let position = try? JSONDecoder().decode(Position.self, from: Data(json.utf8)),
              UInt64(position.batchRNG) != nil, position.dropoutRNGs.allSatisfy({ UInt64($0) != nil }),
              position.epoch >= 0, position.batch >= 0, position.epochs >= 1, position.metricsLines >= 0
        else {
            throw RunError("\(url.path): not a kd resume file (metadata '\(metadataKey)' missing or invalid)")
        }
        var model: [String: (shape: [Int], values: [Float])] = [:]
        var optimizer: [String: Tensor] = [:]
        var objective: [String: Tensor] = [:]
        var order: [Int] = []
        do {
            for name in file.names {
                if name.hasPrefix("model.") {
                    model[String(name.dropFirst(6))] = (file.tensors[name]!.shape, try file.floats(name))
                } else if name.hasPrefix("optim.") {
                    let shape = file.tensors[name]!.shape
                    optimizer[String(name.dropFirst(6))] = Tensor(shape: shape, data: try file.floats(name))
                } else if name.hasPrefix("objective.") {
                    let shape = file.tensors[name]!.shape
                    objective[String(name.dropFirst(10))] = Tensor(shape: shape, data: try file.floats(name))
                } else if name == "order" {
                    guard file.tensors[name]!.dtype == .i64 else { throw RunError("\(url.path): 'order' must be I64") }
                    let raw = try file.rawBytes(name)
                    order = stride(from: raw.startIndex, to: raw.endIndex, by: 8).map { i in
                        var v: UInt64 = 0
                        for k in 0..<8 { v |= UInt64(raw[i + k]) << (8 * UInt64(k)) }
                        return Int(truncatingIfNeeded: Int64(bitPattern: v))
                    }
                } else {
                    throw RunError("\(url.path): unexpected tensor '\(name)' in a resume file")
                }
            }
        } catch let error as SafeTensorsError {
            throw RunError("\(url.path): \(error.description)")
        }
        return TrainingState(position: position, modelTensors: model, optimizerTensors: optimizer,
                             objectiveTensors: objective, order: order)
    }

    private init(position: Position, modelTensors: [String: (shape: [Int], values: [Float])],
                 optimizerTensors: [String: Tensor], objectiveTensors: [String: Tensor], order: [Int]) {
        self.position = position
        self.modelTensors = modelTensors
        self.optimizerTensors = optimizerTensors
        self.objectiveTensors = objectiveTensors
        self.order = order
    }

    /// Copies the saved weights, optimizer state and dropout generators into a freshly built
    /// model and optimizer of the same config; throws (naming `url`) when they do not match.
    func restore(into model: Sequential, optimizer: Optimizer, objective: Objective, phase: String, epochs: Int,
                 datasetCount: Int, url: URL) throws {
        let name = url.path
        guard position.phase == phase else {
            throw RunError("\(name): resume file is for phase '\(position.phase)', expected '\(phase)'")
        }
        guard position.epochs == epochs else {
            throw RunError("\(name): resume file is for \(position.epochs) epochs, the config says \(epochs)")
        }
        let expected = model.stateDict
        let mismatch = expected.first { entry in
            guard let saved = modelTensors[entry.key] else { return true }
            return saved.shape != entry.value.shape
        }
        guard mismatch == nil, expected.count == modelTensors.count else {
            throw RunError("\(name): resume file's weights do not match the model spec\(mismatch.map { " (at '\($0.key)')" } ?? "")")
        }
        let dropouts = Self.dropouts(of: model)
        guard dropouts.count == position.dropoutRNGs.count else {
            throw RunError("\(name): resume file has \(position.dropoutRNGs.count) dropout generators, the model has \(dropouts.count)")
        }
        if position.batch > 0 {
            guard order.count == datasetCount, Set(order).count == datasetCount, order.allSatisfy({ (0..<datasetCount).contains($0) }) else {
                throw RunError("\(name): resume file's batch order does not match the \(datasetCount)-sample training set")
            }
        }
        do {
            try optimizer.loadState(optimizerTensors)
        } catch {
            throw RunError("\(name): resume file's optimizer state does not fit: \(error)")
        }
        do {
            try objective.restoreState(objectiveTensors)
        } catch {
            throw RunError("\(name): \(error)")
        }
        for entry in expected { entry.value.data = modelTensors[entry.key]!.values }
        for (layer, state) in zip(dropouts, position.dropoutRNGs) { layer.rng.state = UInt64(state)! }
    }

    var batchRNG: SplitMix64 { SplitMix64(seed: UInt64(position.batchRNG)!) }
}
