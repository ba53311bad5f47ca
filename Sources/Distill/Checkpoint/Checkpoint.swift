import Foundation
import NN
import SafeTensors

/// A model saved as safetensors: tensors named by PyTorch state_dict keys (F32; BatchNorm's
/// num_batches_tracked as I64) and the model spec in `__metadata__["kd.spec"]`, so the file
/// describes itself. A plain PyTorch state_dict file (no kd metadata) loads with a given spec.
public struct Checkpoint {
    public static let specKey = "kd.spec"
    /// Input normalisation the model was trained with (JSON {"mean": [...], "std": [...]}).
    public static let normalizationKey = "kd.normalize"

    public let model: Sequential
    public let spec: ModelSpec
    /// The per-channel normalisation inputs need before they reach the model, if any.
    public let normalization: Normalization?
    /// Whether `normalization` is known: true for checkpoints kd wrote (they record a
    /// normalisation whenever one was used) and for any file with `kd.normalize`; false for a
    /// plain state_dict, whose inputs the caller must describe.
    public let recordsNormalization: Bool
    /// Everything else in `__metadata__` (role, ...).
    public let metadata: [String: String]

    public init(
        model: Sequential, spec: ModelSpec, normalization: Normalization? = nil, metadata: [String: String] = [:],
        recordsNormalization: Bool = true
    ) {
        self.model = model
        self.spec = spec
        self.normalization = normalization
        self.metadata = metadata
        self.recordsNormalization = recordsNormalization
    }

    /// Throws `CheckpointError.nonFiniteTensor` naming `path` and the first tensor (in
    /// state_dict order) that holds a NaN or an infinity.
    public func requireFiniteTensors(path: String) throws {
        if let entry = model.stateDict.first(where: { !$0.value.data.allSatisfy(\.isFinite) }) {
            throw CheckpointError.nonFiniteTensor(file: path, tensor: entry.key)
        }
    }

    /// Writes the checkpoint atomically (temporary name, then rename).
    public func save(to url: URL) throws {
        var writer = SafeTensorsWriter(metadata: metadata)
        writer.metadata[Self.specKey] = spec.toJSON()
        writer.metadata["format"] = "pt"
        if let normalization, let json = try? JSONEncoder().encode(normalization) {
            writer.metadata[Self.normalizationKey] = String(decoding: json, as: UTF8.self)
        }
        for entry in model.stateDict {
            if entry.isInteger {
                writer.add(entry.key, shape: entry.value.shape, int64: entry.value.data.map { Int64($0) })
            } else {
                writer.add(entry.key, shape: entry.value.shape, floats: entry.value.data)
            }
        }
        try writer.write(to: url)
    }

    /// Loads a checkpoint; `specPath` names a model spec YAML for files without kd metadata.
    public static func load(from url: URL, specPath: String?) throws -> Checkpoint {
        try load(from: url, spec: try specPath.map { try ModelSpec.load(path: $0) })
    }

    /// Loads a checkpoint. `spec`, when given, wins over the embedded one; `fallbackSpec` is used
    /// only when the file has none (a plain PyTorch `save_file(model.state_dict())`, e.g. a
    /// teacher named in a run config with `teacher.model`). A file with neither is an error.
    public static func load(from url: URL, spec given: ModelSpec? = nil, fallbackSpec: ModelSpec? = nil) throws
        -> Checkpoint
    {
        let file = try SafeTensorsFile(contentsOf: url)
        return try load(file: file, path: url.path, spec: given, fallbackSpec: fallbackSpec)
    }

    /// Builds the checkpoint's model from a parsed file; `path` names it in messages. `given`
    /// wins over the embedded spec; `fallbackSpec` is used only when the file has none.
    public static func load(
        file: SafeTensorsFile, path: String, spec given: ModelSpec? = nil,
        fallbackSpec: ModelSpec? = nil
    ) throws -> Checkpoint {
        let spec: ModelSpec
        if let given {
            spec = given
        } else if file.metadata[specKey] == nil, let fallbackSpec {
            spec = fallbackSpec
        } else if let json = file.metadata[specKey] {
            do {
                spec = try ModelSpec(json: json)
            } catch {
                throw CheckpointError.invalidEmbeddedSpec(file: path, reason: "\(error)")
            }
        } else {
            throw CheckpointError.missingSpec(file: path)
        }
        var rng = SplitMix64(seed: 0)
        let model = try ModelBuilder.build(spec, rng: &rng)
        try loadStateDict(file, into: model, path: path, specName: spec.name)
        var normalization: Normalization?
        if let json = file.metadata[normalizationKey] {
            guard let decoded = try? JSONDecoder().decode(Normalization.self, from: Data(json.utf8)) else {
                throw CheckpointError.invalidNormalization(file: path)
            }
            normalization = decoded
        }
        var metadata = file.metadata
        let recorded = metadata[specKey] != nil || metadata[normalizationKey] != nil
        metadata[specKey] = nil
        metadata[normalizationKey] = nil
        return Checkpoint(
            model: model, spec: spec, normalization: normalization, metadata: metadata,
            recordsNormalization: recorded)
    }

    /// Copies every state_dict tensor of `file` into `model`; names and shapes must match
    /// exactly, or the error (one line) says what differs, then lists every name and shape the
    /// spec expects and the file holds.
    static func loadStateDict(_ file: SafeTensorsFile, into model: Sequential, path: String, specName: String = "")
        throws
    {
        let expected = model.stateDict
        let expectedKeys = Set(expected.map(\.key))
        func shape(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
        let missing = expected.filter { file.tensors[$0.key] == nil }.map { "\($0.key) \(shape($0.value.shape))" }
        // The file's names in state_dict order (PyTorch's save_file stores them by dtype and name).
        let local = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
        let names = file.names.sorted { a, b in
            func key(_ s: String) -> (Int, Int, String) {
                let parts = s.split(separator: ".", maxSplits: 1).map(String.init)
                return (Int(parts[0]) ?? Int.max, local.firstIndex(of: parts.last ?? "") ?? local.count, s)
            }
            return key(a) < key(b)
        }
        let unexpected = names.filter { !expectedKeys.contains($0) }.map {
            "\($0) \(shape(file.tensors[$0]?.shape ?? []))"
        }
        var problems: [String] = []
        if !missing.isEmpty { problems.append("missing \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { problems.append("unexpected \(unexpected.joined(separator: ", "))") }
        for entry in expected {
            if let info = file.tensors[entry.key], info.shape != entry.value.shape {
                let bothScalar = info.shape.isEmpty && entry.value.count == 1
                if !bothScalar {
                    problems.append("\(entry.key) is \(shape(info.shape)), model expects \(shape(entry.value.shape))")
                }
            }
        }
        guard problems.isEmpty else {
            let spec = specName.isEmpty ? "the model spec" : "model spec '\(specName)'"
            let wanted = expected.map { "\($0.key) \(shape($0.value.shape))" }.joined(separator: ", ")
            let found = names.map { "\($0) \(shape(file.tensors[$0]?.shape ?? []))" }.joined(separator: ", ")
            throw CheckpointError.tensorMismatch(
                file: path, spec: spec, problems: problems, expected: wanted, found: found)
        }
        for entry in expected {
            let values = try file.floats(entry.key)
            entry.value.data = values
        }
    }
}
