/// A model that an export format cannot represent. One line naming the model and layer.
public enum ExportError: Error, CustomStringConvertible, Equatable, Sendable {
    case unsupportedLayer(model: String, index: Int, kind: String, supported: [String])

    public var description: String {
        switch self {
        case .unsupportedLayer(let model, let index, let kind, let supported):
            return
                "model '\(model)': layer \(index) (\(kind)) has no ONNX export (supported: \(supported.joined(separator: ", ")))"
        }
    }
}
