/// An outputs.safetensors that does not hold what an ensemble needs, or an ensemble asked of
/// models it does not hold. Renders as one line naming the file or model.
public enum StoredOutputsError: Error, CustomStringConvertible, Equatable, Sendable {
    case missingLabels(file: String)
    /// A model's probabilities are not [N, K] for the file's N labels.
    case badShape(file: String, tensor: String, shape: [Int], samples: Int)
    case unknownModel(name: String)
    case emptyEnsemble

    public var description: String {
        switch self {
        case let .missingLabels(file): return "\(file): no 'labels' tensor"
        case let .badShape(file, tensor, shape, samples): return "\(file): '\(tensor)' has shape \(shape), expected [\(samples), K]"
        case let .unknownModel(name): return "no stored outputs for '\(name)'"
        case .emptyEnsemble: return "an ensemble needs at least one model"
        }
    }
}
