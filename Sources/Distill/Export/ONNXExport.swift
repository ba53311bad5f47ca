import FileSupport
import Foundation
import NN

/// `kd export --format onnx`: a model as an ONNX graph (opset 13, IR version 7) computing its
/// logits in inference mode.
///
/// - Graph input `input`: float32 [N, ...spec.input] (e.g. [N, 1, 28, 28]), N dynamic, already
///   normalised as metadata `kd.normalize` says (the same input the kd model takes).
/// - Graph output `logits`: float32 [N, classes].
/// - Initializers keep the PyTorch state_dict names ("0.weight", "1.running_mean", ...), F32.
/// - Layers: Linear -> Gemm (transB = 1), Conv2d -> Conv (any stride), ReLU -> Relu, MaxPool2d ->
///   MaxPool, AvgPool2d -> AveragePool (count_include_pad = 1, as PyTorch's default),
///   GlobalAvgPool2d -> GlobalAveragePool + Flatten (axis 1), BatchNorm1d/2d ->
///   BatchNormalization with the running statistics, Flatten -> Flatten (axis 1), Residual -> its
///   body's and shortcut's nodes, Add, then Relu; Dropout is the identity in inference and is left
///   out. Node and value names are the layer's state_dict prefix and the op ("3.body.0.Conv").
/// - ModelProto.metadata_props: `kd.spec` (the model spec JSON), `kd.normalize` (when the model
///   was trained on normalised inputs), `kd.input` / `kd.output` (names and layouts).
public enum ONNXExport {
    public static let opsetVersion: Int64 = 13
    public static let irVersion: Int64 = 7
    public static let inputName = "input"
    public static let outputName = "logits"
    /// The layer kinds kd can write as ONNX, for messages.
    public static let supportedKinds = [
        "Linear", "Conv2d", "ReLU", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "BatchNorm1d", "BatchNorm2d",
        "Flatten", "Dropout", "Residual",
    ]

    /// Writes `checkpoint`'s model as ONNX to `url`, atomically (temporary name, then rename).
    public static func write(_ checkpoint: Checkpoint, to url: URL) throws {
        let data = try serialized(
            model: checkpoint.model, spec: checkpoint.spec, normalization: checkpoint.normalization)
        try AtomicFile.write(data, to: url)
    }

    /// The bytes of the .onnx file for `model` (built from `spec`).
    public static func serialized(model: Sequential, spec: ModelSpec, normalization: Normalization?) throws -> Data {
        try graphModel(model: model, spec: spec, normalization: normalization).serialized()
    }

    static func graphModel(model: Sequential, spec: ModelSpec, normalization: Normalization?) throws -> ONNXProto.Model
    {
        var builder = GraphBuilder(model: spec.name)
        let last = try builder.add(model.layers, prefix: "", input: inputName)
        if last == inputName {
            // Only dropout layers: the graph still has to produce its output.
            builder.nodes.append(
                ONNXProto.Node(opType: "Identity", name: "identity", inputs: [inputName], outputs: [outputName]))
        } else {
            // The last node (nothing reads its output) writes the graph output directly.
            builder.nodes[builder.nodes.count - 1].outputs = [outputName]
        }
        let (nodes, initializers) = (builder.nodes, builder.initializers)

        var metadata: [(key: String, value: String)] = [(Checkpoint.specKey, spec.toJSON())]
        if let normalization, let json = try? JSONEncoder().encode(normalization) {
            metadata.append((Checkpoint.normalizationKey, String(decoding: json, as: UTF8.self)))
        }
        let inputShape = "[N, " + model.inputShape.map(String.init).joined(separator: ", ") + "]"
        let outputShape = "[N, " + model.outputShape.map(String.init).joined(separator: ", ") + "]"
        metadata.append(
            (
                "kd.input",
                "\(inputName): float32 \(inputShape)" + (normalization == nil ? "" : ", normalised per kd.normalize")
            ))
        metadata.append(("kd.output", "\(outputName): float32 \(outputShape)"))

        let graph = ONNXProto.Graph(
            name: spec.name, nodes: nodes, initializers: initializers,
            inputs: [ONNXProto.ValueInfo(name: inputName, shape: [.named("N")] + model.inputShape.map { .fixed($0) })],
            outputs: [
                ONNXProto.ValueInfo(name: outputName, shape: [.named("N")] + model.outputShape.map { .fixed($0) })
            ])
        return ONNXProto.Model(
            irVersion: irVersion, opsetImports: [ONNXProto.OperatorSet(domain: "", version: opsetVersion)],
            producerName: "kd",
            docString: "kd model '\(spec.name)': \(inputName) \(inputShape) -> \(outputName) \(outputShape)",
            graph: graph, metadata: metadata)
    }
}

/// The nodes and initializers of a graph, layer by layer.
private struct GraphBuilder {
    let model: String
    var nodes: [ONNXProto.Node] = []
    var initializers: [ONNXProto.Tensor] = []

    init(model: String) { self.model = model }

    /// Adds `layers` (state_dict keys `prefix` + index) reading value `input`; returns the name
    /// of the value they produce.
    mutating func add(_ layers: [Layer], prefix: String, input: String) throws -> String {
        var current = input
        for (i, layer) in layers.enumerated() {
            current = try add(layer, key: "\(prefix)\(i)", input: current)
        }
        return current
    }

    /// Adds one layer with state_dict prefix `key`; returns its output value's name.
    private mutating func add(_ layer: Layer, key: String, input: String) throws -> String {
        var current = input
        func weight(_ name: String, _ tensor: Tensor) -> String {
            initializers.append(ONNXProto.Tensor(name: "\(key).\(name)", dims: tensor.shape, values: tensor.data))
            return "\(key).\(name)"
        }
        func node(_ op: String, _ inputs: [String], _ attributes: [ONNXProto.Attribute] = []) {
            let name = "\(key).\(op)"
            nodes.append(
                ONNXProto.Node(
                    opType: op, name: name, inputs: [current] + inputs, outputs: [name], attributes: attributes))
            current = name
        }
        func window(_ k: Int, _ s: Int, _ p: Int) -> [ONNXProto.Attribute] {
            [.ints("kernel_shape", [k, k]), .ints("strides", [s, s]), .ints("pads", [p, p, p, p])]
        }

        switch layer {
        case let dense as Dense:
            node(
                "Gemm", [weight("weight", dense.weight.value)] + (dense.bias.map { [weight("bias", $0.value)] } ?? []),
                [.int("transB", 1)])
        case let conv as Conv2d:
            node(
                "Conv", [weight("weight", conv.weight.value)] + (conv.bias.map { [weight("bias", $0.value)] } ?? []),
                window(conv.kernelSize, conv.stride, conv.padding) + [.ints("dilations", [1, 1]), .int("group", 1)])
        case let pool as MaxPool2d:
            node("MaxPool", [], window(pool.kernelSize, pool.stride, pool.padding))
        case let pool as AvgPool2d:
            node("AveragePool", [], window(pool.kernelSize, pool.stride, pool.padding) + [.int("count_include_pad", 1)])
        case is GlobalAvgPool2d:
            node("GlobalAveragePool", [])
            node("Flatten", [], [.int("axis", 1)])
        case let bn as BatchNorm:
            node(
                "BatchNormalization",
                [
                    weight("weight", bn.weight.value), weight("bias", bn.bias.value),
                    weight("running_mean", bn.runningMean), weight("running_var", bn.runningVar),
                ],
                [.float("epsilon", bn.eps)])
        case is ReLU:
            node("Relu", [])
        case is Flatten:
            node("Flatten", [], [.int("axis", 1)])
        case is Dropout:
            break
        case let block as Residual:
            let body = try add(block.body.layers, prefix: "\(key).body.", input: input)
            let skip = try block.shortcut.map { try add($0.layers, prefix: "\(key).shortcut.", input: input) } ?? input
            current = body
            node("Add", [skip])
            if block.rectifies { node("Relu", []) }
        default:
            throw ExportError.unsupportedLayer(
                model: model, key: key, kind: layer.kind, supported: ONNXExport.supportedKinds)
        }
        return current
    }
}
