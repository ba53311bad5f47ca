import Distill

/// Milliseconds per step in each layer of a model, residual blocks opened: a `LayerProfile` on
/// the model and one on every block's body and shortcut (each block's own row is its whole
/// time; its inner rows follow it, indented: "  3.body.0 Conv2d [16, 28, 28]"). A ReLU that a
/// neighbouring layer runs says which: "1 ReLU [32, 28, 28] (run by 2)", "2 MaxPool2d [32, 28,
/// 28] (forward run by 0)".
final class ModelProfile {
    private let model: Sequential
    private let label: String
    private var profiles: [ObjectIdentifier: LayerProfile] = [:]

    /// Starts timing every layer of `model` (rows labelled with `label` first, e.g. "teacher ").
    init(_ model: Sequential, label: String = "") {
        self.model = model
        self.label = label
        attach(model)
    }

    private func attach(_ model: Sequential) {
        let profile = LayerProfile(layers: model.layers.count)
        model.profile = profile
        profiles[ObjectIdentifier(model)] = profile
        for case let block as Residual in model.layers {
            attach(block.body)
            if let shortcut = block.shortcut { attach(shortcut) }
        }
    }

    /// Clears the sums (after warm-up steps).
    func reset() {
        for profile in profiles.values { profile.reset() }
    }

    /// One row per layer, block, and layer inside a block, over `steps` steps.
    func rows(steps: Int) -> [ProfileRow] {
        rows(of: model, key: "", indent: "", perStep: 1000 / Double(max(1, steps)))
    }

    private func rows(of model: Sequential, key: String, indent: String, perStep: Double) -> [ProfileRow] {
        guard let profile = profiles[ObjectIdentifier(model)] else { return [] }
        return model.layers.indices.flatMap { i -> [ProfileRow] in
            let layer = model.layers[i]
            var rows = [
                ProfileRow(
                    part: "\(label)\(indent)\(key)\(i) \(layer.kind) \(model.layerInputShapes[i])"
                        + (model.host(of: i).map { " (run by \($0))" }
                            ?? model.forwardHost(of: i).map { " (forward run by \($0))" } ?? ""),
                    forwardMs: profile.forwardSeconds[i] * perStep, backwardMs: profile.backwardSeconds[i] * perStep)
            ]
            if let block = layer as? Residual {
                rows += self.rows(of: block.body, key: "\(key)\(i).body.", indent: indent + "  ", perStep: perStep)
                if let shortcut = block.shortcut {
                    rows += self.rows(
                        of: shortcut, key: "\(key)\(i).shortcut.", indent: indent + "  ", perStep: perStep)
                }
            }
            return rows
        }
    }
}
