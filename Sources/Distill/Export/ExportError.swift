/// A model that an export format cannot represent. One line naming the model and layer.
public enum ExportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// `key`: the layer's state_dict prefix ("2", "3.body.1").
    case unsupportedLayer(model: String, key: String, kind: String, supported: [String])

    public var description: String {
        switch self {
        case .unsupportedLayer(let model, let key, let kind, let supported):
            return
                "model '\(model)': layer \(key) (\(kind)) has no ONNX export (supported: \(supported.joined(separator: ", ")))"
        }
    }
}
