import NN

/// Builds a `Sequential` from a model spec: infers each layer's input size from the previous
/// layer's output shape, picks BatchNorm1d or BatchNorm2d by the input's rank, builds residual
/// blocks (body, shortcut) with the same rules, and initialises weights with the spec's scheme
/// from the run's generator.
public enum ModelBuilder {
    /// The network described by `spec`, initialised from `rng`. Errors name the layer at fault.
    public static func build(_ spec: ModelSpec, rng: inout SplitMix64) throws -> Sequential {
        var builder = Builder(model: spec.name, rng: rng)
        let model = try builder.sequential(spec.layers, inputShape: spec.input, path: "layers")
        rng = builder.rng
        guard let scheme = WeightInit(rawValue: spec.initScheme) else {
            throw ModelError.unknownInit(model: spec.name, scheme: spec.initScheme)
        }
        try initialize(model, scheme: scheme, rng: &rng)
        return model
    }

    /// Checks every layer's shapes (and sizes) without drawing weights: the `ModelError` that
    /// `build` would throw, or nothing.
    public static func checkShapes(_ spec: ModelSpec) throws { _ = try layerShapes(spec) }

    /// Per-sample output shape of each top-level layer of `spec` (a residual block is one) and the
    /// index of the first layer with parameters (nil: none); throws as `build` would.
    public static func layerShapes(_ spec: ModelSpec) throws -> (outputs: [[Int]], firstTrainable: Int?) {
        var builder = Builder(model: spec.name, rng: SplitMix64(seed: 0))
        let model = try builder.sequential(spec.layers, inputShape: spec.input, path: "layers")
        return (Array(model.layerInputShapes.dropFirst()) + [model.outputShape], model.firstTrainableLayer)
    }

    /// Largest number of values in one sample's activations, and in all the weights of a model
    /// together (1 GiB of Float32).
    public static let maxElements = 1 << 28
}

/// One build: the model's name for messages, the weights counted so far, the generator that
/// seeds dropout layers.
private struct Builder {
    let model: String
    var rng: SplitMix64
    var weights = 0

    init(model: String, rng: SplitMix64) {
        self.model = model
        self.rng = rng
    }

    /// The layers of `specs` at `path` ("layers", "layers[3].residual.body") on `inputShape`.
    mutating func sequential(_ specs: [LayerSpec], inputShape: [Int], path: String) throws -> Sequential {
        var layers: [Layer] = []
        var shape = inputShape
        for (index, layerSpec) in specs.enumerated() {
            let at = "\(path)[\(index)]"
            do {
                let layer = try makeLayer(layerSpec, inputShape: shape, path: at)
                shape = try layer.outputShape(for: shape)
                try Self.checkSize(.relu, inputShape: shape)
                layers.append(layer)
            } catch let error as ShapeError {
                throw ModelError.layer(model: model, path: at, reason: error.description)
            }
        }
        return try Sequential(layers, inputShape: inputShape)
    }

    /// relu(body + shortcut) on [C, H, W]; a shortcut that disagrees with the body names the
    /// body layer that changed the shape.
    private mutating func residual(
        _ body: [LayerSpec], _ shortcut: ShortcutSpec, relu: Bool, inputShape: [Int], path: String
    ) throws -> Residual {
        guard inputShape.count == 3 else {
            throw ShapeError("a residual block needs [C, H, W] input, got \(inputShape)")
        }
        let bodyModel = try sequential(body, inputShape: inputShape, path: "\(path).body")
        let out = bodyModel.outputShape
        var shortcutModel: Sequential?
        switch shortcut {
        case .identity:
            guard out == inputShape else {
                let shapes = bodyModel.layerInputShapes + [out]
                let i = shapes.indices.dropFirst().first { shapes[$0] != inputShape }.map { $0 - 1 } ?? 0
                throw ModelError.layer(
                    model: model, path: path,
                    reason:
                        "the body gives \(out) (body[\(i)] \(body[i].kind) makes \(shapes[i]) into \(shapes[i + 1])) "
                        + "but the identity shortcut gives \(inputShape)"
                        + (out.count == 3 ? "; use a projection shortcut" : ""))
            }
        case .projection(let stride, let batchNorm):
            guard out.count == 3 else {
                throw ModelError.layer(
                    model: model, path: path, reason: "the body gives \(out); a projection shortcut needs [C, H, W]")
            }
            let conv = LayerSpec.conv2d(out: out[0], kernel: 1, stride: stride, padding: 0, bias: false)
            var layers = [try makeLayer(conv, inputShape: inputShape, path: "\(path).shortcut")]
            if batchNorm { layers.append(BatchNorm2d(numFeatures: out[0])) }
            let projection = try Sequential(layers, inputShape: inputShape)
            guard projection.outputShape == out else {
                throw ModelError.layer(
                    model: model, path: "\(path).shortcut",
                    reason:
                        "the body gives \(out) but the projection shortcut (1x1 conv, stride \(stride)) gives \(projection.outputShape)"
                )
            }
            shortcutModel = projection
        }
        return try Residual(body: bodyModel, shortcut: shortcutModel, relu: relu)
    }

    /// Adds the layer's weights to the model's count; refuses more than `maxElements`.
    private mutating func count(_ spec: LayerSpec, inputShape: [Int]) throws {
        weights += try Self.checkSize(spec, inputShape: inputShape)
        guard weights <= ModelBuilder.maxElements else {
            throw ShapeError("the model's weights up to here number more than \(ModelBuilder.maxElements) in all")
        }
    }

    /// Refuses a layer whose weights or input would not fit in memory (checked before
    /// allocating); returns the number of weights the layer will have.
    @discardableResult
    private static func checkSize(_ spec: LayerSpec, inputShape: [Int]) throws -> Int {
        let maxElements = ModelBuilder.maxElements
        func product(_ xs: [Int]) -> Int? {
            var p = 1
            for x in xs {
                let (r, overflow) = p.multipliedReportingOverflow(by: x)
                guard !overflow, r <= maxElements else { return nil }
                p = r
            }
            return p
        }
        guard let inputCount = product(inputShape) else {
            throw ShapeError("input \(inputShape) has more than \(maxElements) values per sample")
        }
        var weights: [Int] = []
        switch spec {
        case .linear(let out, _): weights = [inputCount, out]
        case .conv2d(let out, let kernel, _, _, _): weights = [inputShape.first ?? 1, out, kernel, kernel]
        default: break
        }
        guard let count = product(weights) else {
            throw ShapeError("\(spec.kind) would need more than \(maxElements) weights for input \(inputShape)")
        }
        return weights.isEmpty ? 0 : count
    }

    /// The layer of `spec` at `path` on `inputShape`, its weights counted.
    private mutating func makeLayer(_ spec: LayerSpec, inputShape: [Int], path: String) throws -> Layer {
        try count(spec, inputShape: inputShape)
        switch spec {
        case .linear(let out, let bias):
            guard inputShape.count == 1 else {
                throw ShapeError("linear needs a flat input, got \(inputShape); add a flatten layer before it")
            }
            return Dense(inFeatures: inputShape[0], outFeatures: out, bias: bias)
        case .conv2d(let out, let kernel, let stride, let padding, let bias):
            guard inputShape.count == 3 else { throw ShapeError("conv2d needs [C, H, W] input, got \(inputShape)") }
            return Conv2d(
                inChannels: inputShape[0], outChannels: out, kernelSize: kernel, stride: stride,
                padding: padding, bias: bias)
        case .maxPool2d(let kernel, let stride, let padding):
            return MaxPool2d(kernelSize: kernel, stride: stride, padding: padding)
        case .avgPool2d(let kernel, let stride, let padding):
            return AvgPool2d(kernelSize: kernel, stride: stride, padding: padding)
        case .globalAvgPool:
            return GlobalAvgPool2d()
        case .batchNorm(let eps, let momentum):
            switch inputShape.count {
            case 1: return BatchNorm1d(numFeatures: inputShape[0], eps: eps, momentum: momentum)
            case 3: return BatchNorm2d(numFeatures: inputShape[0], eps: eps, momentum: momentum)
            default: throw ShapeError("batchnorm needs [C] or [C, H, W] input, got \(inputShape)")
            }
        case .relu:
            return ReLU()
        case .dropout(let p):
            return Dropout(p: p, rng: rng.split())
        case .flatten:
            return Flatten()
        case .residual(let body, let shortcut, let relu):
            return try residual(body, shortcut, relu: relu, inputShape: inputShape, path: "\(path).residual")
        }
    }
}
