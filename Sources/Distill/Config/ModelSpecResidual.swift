/// The skip path of a residual block.
public enum ShortcutSpec: Equatable, Codable, Sendable {
    /// x itself: the body must keep the shape [C, H, W].
    case identity
    /// A 1x1 convolution without bias to the body's channels with `stride`, then BatchNorm2d
    /// when `batchNorm` (PyTorch `nn.Sequential(nn.Conv2d(C, C', 1, stride, bias=False),
    /// nn.BatchNorm2d(C'))`).
    case projection(stride: Int, batchNorm: Bool)
}

/// The `residual` layer of a model spec:
///
/// ```yaml
/// - residual:
///     body:                                    # one or more layers, no residual block among them
///       - conv2d: {out: 32, kernel: 3, stride: 2, padding: 1, bias: false}
///       - batchnorm
///     shortcut: {projection: {stride: 2}}      # or identity (default), or projection (stride 1);
///                                              # projection keys: stride (1), batchnorm (true)
///     relu: true                               # ReLU after the sum (default true)
/// ```
extension ModelSpec {
    static func parseResidual(_ args: YAMLMapping, lines: inout [String: Int]) throws -> LayerSpec {
        let bodyValue = try args.required("body")
        let items = try bodyValue.sequence()
        guard !items.isEmpty else { throw bodyValue.error("'\(bodyValue.path)' must list at least one layer") }
        guard items.count <= maxLayers else {
            throw bodyValue.error(
                "'\(bodyValue.path)' lists \(items.count) layers, more than the \(maxLayers) a spec may have")
        }
        let body = try items.map { item in
            let layer = try parseLayer(item, lines: &lines)
            if case .residual = layer {
                throw item.error("'\(item.path)': a residual block cannot sit inside another block's body")
            }
            return layer
        }
        let shortcut = try args.value("shortcut").map { try parseShortcut($0, lines: &lines) } ?? .identity
        let relu = try args.value("relu")?.bool() ?? true
        return .residual(body: body, shortcut: shortcut, relu: relu)
    }

    /// `identity`, `projection`, `{projection: {stride: 2, batchnorm: false}}`.
    private static func parseShortcut(_ value: YAMLValue, lines: inout [String: Int]) throws -> ShortcutSpec {
        lines[value.path] = value.line
        let kinds = ["identity", "projection"]
        let kind: String
        let options: YAMLMapping?
        if case .mapping = value.node {
            let m = try value.mapping()
            guard m.entries.count == 1, let entry = m.entries.first, kinds.contains(entry.key) else {
                throw value.error(
                    "'\(value.path)' must be identity, projection or {projection: {stride: 2}}, got keys \(m.keys.joined(separator: ", "))"
                )
            }
            kind = entry.key
            options = try entry.value.mapping()
        } else {
            kind = try value.oneOf(kinds)
            options = nil
        }
        guard kind == "projection" else {
            try options?.expect([])
            return .identity
        }
        try options?.expect(["stride", "batchnorm"])
        let stride = try options?.value("stride")?.int(SpecRule.size.text, where: SpecRule.size.test) ?? 1
        let batchNorm = try options?.value("batchnorm")?.bool() ?? true
        return .projection(stride: stride, batchNorm: batchNorm)
    }
}
