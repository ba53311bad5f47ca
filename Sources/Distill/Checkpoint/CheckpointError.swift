/// A checkpoint file whose contents do not describe a model kd can build. (A file that is not
/// valid safetensors at all is a `SafeTensorsError`, which names the file too.) Each case
/// renders as one line starting with the file's path.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The `kd.spec` metadata does not decode or validate as a model spec.
    case invalidEmbeddedSpec(file: String, reason: String)
    /// A plain state_dict (no `kd.spec` metadata) and no spec was given for it.
    case missingSpec(file: String)
    /// The `kd.normalize` metadata is not {"mean": [...], "std": [...]}.
    case invalidNormalization(file: String)
    /// The file's tensors differ from the spec's state_dict: `problems` lists what differs,
    /// `expected` and `found` every name and shape on each side.
    case tensorMismatch(file: String, spec: String, problems: [String], expected: String, found: String)
    /// A weight or buffer holds NaN or infinity (a teacher that cannot teach).
    case nonFiniteTensor(file: String, tensor: String)

    public var description: String {
        switch self {
        case .invalidEmbeddedSpec(let file, let reason):
            return "\(file): the embedded model spec is invalid (\(reason))"
        case .missingSpec(let file):
            return
                "\(file): no kd model spec in the file; give the architecture (a model spec) for a plain PyTorch state_dict"
        case .invalidNormalization(let file):
            return "\(file): metadata '\(Checkpoint.normalizationKey)' is not {\"mean\": [...], \"std\": [...]}"
        case .nonFiniteTensor(let file, let tensor):
            return "\(file): tensor '\(tensor)' holds NaN or infinite values; this model cannot teach"
        case .tensorMismatch(let file, let spec, let problems, let expected, let found):
            return "\(file): tensors do not match \(spec): " + problems.joined(separator: "; ")
                + " (expected: \(expected); found: \(found))"
        }
    }
}
