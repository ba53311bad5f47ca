import Foundation
import NN
import SafeTensors

/// Reading a resume file back and checking every field against the run before anything of it
/// is used: a damaged or edited file is one `ResumeError` naming the file and the field, never
/// a crash and never a run that silently continues from an impossible position.
extension TrainingState {
    /// Reads a resume file; a file that is not one is an error naming it.
    static func load(from url: URL) throws -> TrainingState {
        let file = try SafeTensorsFile(contentsOf: url)
        let name = url.path
        guard let json = file.metadata[metadataKey] else {
            throw ResumeError(file: name, "is not a kd resume file (no '\(metadataKey)' metadata)")
        }
        let position: Position
        do {
            position = try JSONDecoder().decode(Position.self, from: Data(json.utf8))
        } catch {
            throw ResumeError(
                file: name, field: metadataKey, "is not a valid resume position (\(Self.decodingProblem(error)))")
        }
        var model: [String: (shape: [Int], values: [Float])] = [:]
        var optimizer: [String: Tensor] = [:]
        var objective: [String: Tensor] = [:]
        var order: [Int] = []
        for tensor in file.names {
            guard let info = file.tensors[tensor] else { continue }
            if tensor.hasPrefix("model.") {
                model[String(tensor.dropFirst(6))] = (info.shape, try file.floats(tensor))
            } else if tensor.hasPrefix("optim.") {
                optimizer[String(tensor.dropFirst(6))] = Tensor(shape: info.shape, data: try file.floats(tensor))
            } else if tensor.hasPrefix("objective.") {
                objective[String(tensor.dropFirst(10))] = Tensor(shape: info.shape, data: try file.floats(tensor))
            } else if tensor == "order" {
                guard info.dtype == .i64 else {
                    throw ResumeError(file: name, field: "order", "must be I64, is \(info.dtype)")
                }
                let raw = try file.rawBytes(tensor)
                order = stride(from: raw.startIndex, to: raw.endIndex, by: 8).map { i in
                    var v: UInt64 = 0
                    for k in 0..<8 { v |= UInt64(raw[i + k]) << (8 * UInt64(k)) }
                    return Int(truncatingIfNeeded: Int64(bitPattern: v))
                }
            } else {
                throw ResumeError(file: name, field: tensor, "is not a tensor of a resume file")
            }
        }
        return TrainingState(
            position: position, modelTensors: model, optimizerTensors: optimizer,
            objectiveTensors: objective, order: order)
    }

    private init(
        position: Position, modelTensors: [String: (shape: [Int], values: [Float])],
        optimizerTensors: [String: Tensor], objectiveTensors: [String: Tensor], order: [Int]
    ) {
        self.position = position
        self.modelTensors = modelTensors
        self.optimizerTensors = optimizerTensors
        self.objectiveTensors = objectiveTensors
        self.order = order
    }

    /// The decoder's complaint as a short phrase (which key is missing or mistyped).
    private static func decodingProblem(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "'\(key.stringValue)' is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        default: return "not JSON"
        }
    }

    /// Checks every field against this run (phase, epochs, the batches of an epoch, the model,
    /// the metrics log) and copies the saved weights, optimizer state, objective state and
    /// generator states into `step` and `batches`. Throws a `ResumeError` naming `url` and the
    /// field at fault; nothing is changed unless every check passes.
    func restore(
        into step: TrainingStep, batches: BatchIterator, phase: String, epochs: Int, log: MetricsLog,
        url: URL
    ) throws {
        let name = url.path
        func fail(_ field: String, _ fault: String) -> ResumeError { ResumeError(file: name, field: field, fault) }
        let p = position
        guard p.phase == phase else { throw fail("phase", "is '\(p.phase)', expected '\(phase)'") }
        guard p.epochs == epochs else { throw fail("epochs", "is \(p.epochs), the config says \(epochs)") }
        guard (0...epochs).contains(p.epoch) else {
            throw fail("epoch", "is \(p.epoch), outside the run's 0...\(epochs) epochs")
        }
        let batchCount = batches.batchesPerEpoch
        guard (0..<max(batchCount, 1)).contains(p.batch), p.epoch < epochs || p.batch == 0 else {
            throw fail("batch", "is \(p.batch), outside the \(batchCount) batches of epoch \(p.epoch + 1)")
        }
        guard let batchRNG = UInt64(p.batchRNG) else {
            throw fail("batchRNG", "is not a generator state: '\(p.batchRNG)'")
        }
        let dropoutStates = p.dropoutRNGs.compactMap { UInt64($0) }
        guard dropoutStates.count == p.dropoutRNGs.count else {
            throw fail("dropoutRNGs", "holds a value that is not a generator state")
        }
        let model = step.model
        guard p.parameterCount == model.parameterCount else {
            throw fail("parameterCount", "is \(p.parameterCount), the model has \(model.parameterCount)")
        }
        try checkSums(
            p.sums, batchesDone: p.batch, batchSize: batches.batchSize, datasetCount: batches.dataset.count, fail: fail)
        try checkMetrics(lines: p.metricsLines, epochsDone: p.epoch, phase: phase, log: log, fail: fail)
        let expected = model.stateDict
        if let entry = expected.first(where: { modelTensors[$0.key]?.shape != $0.value.shape }) {
            throw fail(
                "model.\(entry.key)",
                modelTensors[entry.key].map { "is \($0.shape), the model spec has \(entry.value.shape)" }
                    ?? "is missing")
        }
        if let extra = modelTensors.keys.sorted().first(where: { key in !expected.contains { $0.key == key } }) {
            throw fail("model.\(extra)", "is not a tensor of the model spec")
        }
        let dropouts = Self.dropouts(of: model)
        guard dropouts.count == dropoutStates.count else {
            throw fail(
                "dropoutRNGs", "has \(dropoutStates.count) generators, the model has \(dropouts.count) dropout layers")
        }
        let n = batches.dataset.count
        if p.batch > 0 {
            var seen = [Bool](repeating: false, count: n)
            let isPermutation =
                order.count == n
                && order.allSatisfy { i in
                    guard (0..<n).contains(i), !seen[i] else { return false }
                    seen[i] = true
                    return true
                }
            guard isPermutation else { throw fail("order", "is not a permutation of the \(n)-sample training set") }
        }
        do {
            try step.optimizer.loadState(optimizerTensors)
        } catch {
            throw ResumeError(file: name, field: "optim", "does not fit the optimizer: \(error)")
        }
        do {
            try step.objective.restoreState(objectiveTensors)
        } catch let error as ObjectiveStateError {
            throw fail("objective.\(error.tensor)", error.fault)
        }
        for entry in expected { entry.value.data = modelTensors[entry.key]!.values }
        for (layer, state) in zip(dropouts, dropoutStates) { layer.rng.state = state }
        batches.rng = SplitMix64(seed: batchRNG)
    }

    /// The running sums of an unfinished epoch must be those of its first `batchesDone` batches.
    private func checkSums(
        _ sums: Sums, batchesDone: Int, batchSize: Int, datasetCount: Int,
        fail: (String, String) -> ResumeError
    ) throws {
        let seen = min(batchesDone * batchSize, datasetCount)
        guard sums.seen == seen else {
            throw fail("sums.seen", "is \(sums.seen), \(batchesDone) batches of \(batchSize) hold \(seen)")
        }
        guard (0...seen).contains(sums.correct) else {
            throw fail("sums.correct", "is \(sums.correct), not in 0...\(seen)")
        }
        guard sums.loss.isFinite, sums.soft.isFinite, sums.hard.isFinite else {
            throw fail("sums.loss", "is not finite")
        }
    }

    /// metrics.jsonl must hold at least the lines the state had written, `epochsDone` of them
    /// for this phase.
    private func checkMetrics(
        lines: Int, epochsDone: Int, phase: String, log: MetricsLog,
        fail: (String, String) -> ResumeError
    ) throws {
        guard (0...log.count).contains(lines) else {
            throw fail("metricsLines", "is \(lines), metrics.jsonl has \(log.count) lines")
        }
        let logged = log.lineCount(ofPhase: phase, inFirst: lines)
        guard logged == epochsDone else {
            throw fail(
                "metricsLines",
                "covers \(logged) epochs of '\(phase)' in metrics.jsonl, the state has done \(epochsDone)")
        }
    }
}
