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
        case .missingLabels(let file): return "\(file): no 'labels' tensor"
        case .badShape(let file, let tensor, let shape, let samples):
            return "\(file): '\(tensor)' has shape \(shape), expected [\(samples), K]"
        case .unknownModel(let name): return "no stored outputs for '\(name)'"
        case .emptyEnsemble: return "an ensemble needs at least one model"
        }
    }
}
