import Foundation

/// One layer of a model spec, in order. Shapes are inferred by the builder from `ModelSpec.input`.
public enum LayerSpec: Equatable, Codable, Sendable {
    /// Fully connected; in-features inferred. PyTorch `nn.Linear(in, out, bias)`.
    case linear(out: Int, bias: Bool)
    /// 2-d convolution, square kernel. PyTorch `nn.Conv2d(in, out, kernel, stride, padding, bias)`.
    case conv2d(out: Int, kernel: Int, stride: Int, padding: Int, bias: Bool)
    /// Max pooling; stride defaults to the kernel.
    case maxPool2d(kernel: Int, stride: Int, padding: Int)
    /// Average pooling; stride defaults to the kernel.
    case avgPool2d(kernel: Int, stride: Int, padding: Int)
    /// Batch norm, 1-d or 2-d chosen from the input rank. PyTorch defaults eps 1e-5, momentum 0.1.
    case batchNorm(eps: Float, momentum: Float)
    case relu
    /// Dropout with drop probability p in [0, 1).
    case dropout(p: Float)
    case flatten
    /// Global average pooling, [C, H, W] -> [C].
    case globalAvgPool
    /// relu(body(x) + shortcut(x)) (the ReLU when `relu`); the body holds no residual block.
    case residual(body: [LayerSpec], shortcut: ShortcutSpec, relu: Bool)

    /// The YAML name of the layer kind.
    public var kind: String {
        switch self {
        case .linear: return "linear"
        case .conv2d: return "conv2d"
        case .maxPool2d: return "maxpool2d"
        case .avgPool2d: return "avgpool2d"
        case .batchNorm: return "batchnorm"
        case .relu: return "relu"
        case .dropout: return "dropout"
        case .flatten: return "flatten"
        case .globalAvgPool: return "global_avgpool"
        case .residual: return "residual"
        }
    }

    /// Every YAML layer name, for messages.
    public static let kinds = [
        "linear", "conv2d", "maxpool2d", "avgpool2d", "batchnorm", "relu", "dropout", "flatten", "global_avgpool",
        "residual",
    ]
}

/// A model architecture (Models/*.yaml):
///
/// ```yaml
/// name: cnn-student          # optional, default the file's stem
/// input: [1, 28, 28]         # per-sample input shape
/// init: default              # or orthogonal (optional)
/// layers:
///   - conv2d: {out: 8, kernel: 3, padding: 1}     # stride 1, bias true by default
///   - batchnorm: {}                               # optional eps (1e-5), momentum (0.1)
///   - relu
///   - maxpool2d: {kernel: 2}                      # stride defaults to kernel; optional padding
///   - avgpool2d: {kernel: 2, stride: 2}
///   - flatten
///   - dropout: {p: 0.2}                           # default 0.5
///   - linear: {out: 10}                           # in-features inferred; optional bias (true)
///   - global_avgpool                              # [C, H, W] -> [C]
///   - residual:                                   # relu(body(x) + shortcut(x)), see ShortcutSpec
///       body: [{conv2d: {out: 8, kernel: 3, stride: 2, padding: 1, bias: false}}, batchnorm]
///       shortcut: {projection: {stride: 2}}       # default identity
///       relu: true                                # the final ReLU (default true)
/// ```
/// Shapes are checked when the spec is read (`ModelBuilder.checkShapes`): the error names the
/// file, line and layer ("layers[3].residual.body[0]").
public struct ModelSpec: Equatable, Codable, Sendable {
    public var name: String
    /// Per-sample input shape, e.g. [1, 28, 28] or [784].
    public var input: [Int]
    /// "default" (PyTorch's kaiming-uniform) or "orthogonal".
    public var initScheme: String
    public var layers: [LayerSpec]

    public static let initSchemes = ["default", "orthogonal"]

    enum CodingKeys: String, CodingKey {
        case name, input
        case initScheme = "init"
        case layers
    }

    public init(name: String, input: [Int], initScheme: String = "default", layers: [LayerSpec]) {
        self.name = name
        self.input = input
        self.initScheme = initScheme
        self.layers = layers
    }

    /// Compact JSON with sorted keys (embedded in checkpoint metadata).
    public func toJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of ints, floats, bools and strings cannot fail.
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Largest size, count, kernel, stride or padding a spec may give (a layer dimension).
    public static let maxSize = 1 << 16
    /// Most layers a spec may list (generous: the shipped specs have under 20).
    public static let maxLayers = 1000

    /// Reads the JSON written by `toJSON()` (e.g. from checkpoint metadata), validated with the
    /// same rules as a YAML spec.
    public init(json: String) throws {
        do {
            self = try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
        } catch {
            throw ConfigError(file: "model spec JSON", line: 0, key: "", message: "cannot decode model spec: \(error)")
        }
        if let problem = validationProblem() {
            throw ConfigError(file: "model spec JSON", line: 0, key: "", message: "invalid model spec: \(problem)")
        }
    }

    /// The first value outside the rules the YAML reader applies (`SpecRule`), or nil.
    func validationProblem() -> String? {
        if input.isEmpty || !input.allSatisfy(SpecRule.size.test) {
            return "input \(input) must be a non-empty list of \(SpecRule.size.text)s"
        }
        if !Self.initSchemes.contains(initScheme) { return "unknown init '\(initScheme)'" }
        if layers.isEmpty { return "no layers" }
        return Self.problem(in: layers, at: "layers", inBlock: false)
    }

    /// The first out-of-range value among `layers` (listed at `path`), or nil.
    private static func problem(in layers: [LayerSpec], at path: String, inBlock: Bool) -> String? {
        if layers.count > Self.maxLayers {
            return "\(layers.count) layers, more than the \(Self.maxLayers) a spec may have"
        }
        for (i, layer) in layers.enumerated() {
            let ok: Bool
            switch layer {
            case .linear(let out, _): ok = SpecRule.size.test(out)
            case .conv2d(let out, let k, let s, let p, _):
                ok = [out, k, s].allSatisfy(SpecRule.size.test) && SpecRule.offset.test(p)
            case .maxPool2d(let k, let s, let p), .avgPool2d(let k, let s, let p):
                ok = SpecRule.size.test(k) && SpecRule.size.test(s) && SpecRule.poolingPadding(kernel: k).test(p)
            case .batchNorm(let eps, let momentum):
                ok = SpecRule.eps.test(Double(eps)) && SpecRule.momentum.test(Double(momentum))
            case .dropout(let p): ok = SpecRule.dropout.test(Double(p))
            case .relu, .flatten, .globalAvgPool: ok = true
            case .residual(let body, let shortcut, _):
                if inBlock { return "\(path)[\(i)]: a residual block cannot sit inside another block's body" }
                if body.isEmpty { return "\(path)[\(i)].residual.body is empty" }
                if let problem = problem(in: body, at: "\(path)[\(i)].residual.body", inBlock: true) { return problem }
                if case .projection(let stride, _) = shortcut { ok = SpecRule.size.test(stride) } else { ok = true }
            }
            if !ok { return "\(path)[\(i)] (\(layer.kind)) has a value out of range: \(layer)" }
        }
        return nil
    }

    /// Loads and validates a model spec file; every error names the file, key and line.
    public static func load(path: String) throws -> ModelSpec {
        try load(path: path, display: path)
    }

    /// Loads `path`, naming it `display` in messages.
    static func load(path: String, display: String) throws -> ModelSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: display, line: 0, key: "", message: "cannot read model spec (no such file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: display, line: 0, key: "", message: "model spec is not UTF-8 text")
        }
        return try parse(try YAMLValue.document(text, file: display), defaultName: Self.stem(of: path))
    }

    /// Parses model spec YAML `text`; `file` is used in messages and for the default name.
    public init(yaml text: String, file: String) throws {
        self = try Self.parse(try YAMLValue.document(text, file: file), defaultName: Self.stem(of: file))
    }

    static func stem(of path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    static func parse(_ root: YAMLValue, defaultName: String) throws -> ModelSpec {
        let m = try root.mapping()
        try m.expect(["name", "input", "init", "layers"])
        let name = try m.value("name")?.string() ?? defaultName
        let inputValue = try m.required("input")
        let input = try inputValue.ints(SpecRule.size.text, where: SpecRule.size.test)
        guard !input.isEmpty else {
            throw inputValue.error("'input' must be a non-empty list of positive integers, e.g. [1, 28, 28]")
        }
        let initScheme = try m.value("init")?.oneOf(initSchemes) ?? "default"
        let layersValue = try m.required("layers")
        let items = try layersValue.sequence()
        guard !items.isEmpty else { throw layersValue.error("'layers' must list at least one layer") }
        guard items.count <= maxLayers else {
            throw layersValue.error("'layers' lists \(items.count) layers, more than the \(maxLayers) a spec may have")
        }
        var lines: [String: Int] = [:]
        let layers = try items.map { try parseLayer($0, lines: &lines) }
        try m.finish()
        let spec = ModelSpec(name: name, input: input, initScheme: initScheme, layers: layers)
        do {
            try ModelBuilder.checkShapes(spec)
        } catch ModelError.layer(_, let path, let reason) {
            // The line of the layer at fault, or of the nearest enclosing entry recorded.
            var key = Substring(path)
            while lines[String(key)] == nil, let cut = key.lastIndex(where: { $0 == "." || $0 == "[" }) {
                key = key[..<cut]
            }
            throw ConfigError(
                file: root.file, line: lines[String(key)] ?? 0, key: path, message: "'\(path)': \(reason)")
        }
        return spec
    }

    /// `- relu`, `- relu: {}`, `- relu:` or `- conv2d: {out: 8, kernel: 3}`; records the line of
    /// each layer (and block part) by its path in `lines`.
    static func parseLayer(_ item: YAMLValue, lines: inout [String: Int]) throws -> LayerSpec {
        lines[item.path] = item.line
        let kind: String
        let args: YAMLMapping
        let kindValue: YAMLValue
        if let s = item.scalarString, !item.isNull {
            kind = s
            kindValue = item
            args = try YAMLMapping(
                YAMLValue(node: item.node, file: item.file, path: "\(item.path).\(s)", keyLine: item.line), pairs: [])
        } else if case .mapping = item.node {
            let m = try item.mapping()
            guard m.entries.count == 1, let entry = m.entries.first else {
                throw item.error(
                    "'\(item.path)' must name one layer (one of \(LayerSpec.kinds.joined(separator: ", "))), got keys \(m.keys.joined(separator: ", "))"
                )
            }
            kind = entry.key
            kindValue = entry.value
            args = try entry.value.mapping()
        } else {
            throw item.error("'\(item.path)' must be a layer name or {name: {options}}, got \(item.shown)")
        }
        guard LayerSpec.kinds.contains(kind) else {
            throw ConfigError(
                file: item.file, line: kindValue.keyLine, key: "\(item.path).\(kind)",
                message: "'\(item.path)': unknown layer '\(kind)' (known: \(LayerSpec.kinds.joined(separator: ", ")))")
        }
        let allowed: [String: [String]] = [
            "linear": ["out", "bias"], "conv2d": ["out", "kernel", "stride", "padding", "bias"],
            "maxpool2d": ["kernel", "stride", "padding"], "avgpool2d": ["kernel", "stride", "padding"],
            "batchnorm": ["eps", "momentum"], "dropout": ["p"], "relu": [], "flatten": [], "global_avgpool": [],
            "residual": ["body", "shortcut", "relu"],
        ]
        try args.expect(allowed[kind] ?? [])
        func positive(_ key: String) throws -> Int? {
            try args.value(key)?.int(SpecRule.size.text, where: SpecRule.size.test)
        }
        func requiredPositive(_ key: String) throws -> Int {
            guard let v = args.value(key) else {
                let path = args.owner.childPath(key)
                throw ConfigError(
                    file: item.file, line: kindValue.keyLine, key: path, message: "missing required key '\(path)'")
            }
            return try v.int(SpecRule.size.text, where: SpecRule.size.test)
        }
        func nonNegative(_ key: String) throws -> Int? {
            try args.value(key)?.int(SpecRule.offset.text, where: SpecRule.offset.test)
        }
        let layer: LayerSpec
        switch kind {
        case "linear":
            layer = .linear(out: try requiredPositive("out"), bias: try args.value("bias")?.bool() ?? true)
        case "conv2d":
            layer = .conv2d(
                out: try requiredPositive("out"), kernel: try requiredPositive("kernel"),
                stride: try positive("stride") ?? 1, padding: try nonNegative("padding") ?? 0,
                bias: try args.value("bias")?.bool() ?? true)
        case "maxpool2d", "avgpool2d":
            let k = try requiredPositive("kernel")
            let s = try positive("stride") ?? k
            let p = try nonNegative("padding") ?? 0
            let padding = SpecRule.poolingPadding(kernel: k)
            if !padding.test(p), let v = args.value("padding") {
                throw v.error("'\(v.path)' must be \(padding.text), got \(p)")
            }
            layer =
                kind == "maxpool2d"
                ? .maxPool2d(kernel: k, stride: s, padding: p) : .avgPool2d(kernel: k, stride: s, padding: p)
        case "batchnorm":
            layer = .batchNorm(
                eps: try args.value("eps")?.float(SpecRule.eps.text, where: SpecRule.eps.test) ?? 1e-5,
                momentum: try args.value("momentum")?.float(SpecRule.momentum.text, where: SpecRule.momentum.test)
                    ?? 0.1)
        case "dropout":
            layer = .dropout(p: try args.value("p")?.float(SpecRule.dropout.text, where: SpecRule.dropout.test) ?? 0.5)
        case "relu":
            layer = .relu
        case "global_avgpool":
            layer = .globalAvgPool
        case "residual":
            layer = try parseResidual(args, lines: &lines)
        default:
            layer = .flatten
        }
        try args.finish()
        return layer
    }
}
