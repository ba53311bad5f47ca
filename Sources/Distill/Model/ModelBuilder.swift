import NN

/// Builds a `Sequential` from a model spec: infers each layer's input size from the previous
/// layer's output shape, picks BatchNorm1d or BatchNorm2d by the input's rank, and initialises
/// weights with the spec's scheme from the run's generator.
public enum ModelBuilder {
    /// The network described by `spec`, initialised from `rng`. Errors name the layer at fault.
    public static func build(_ spec: ModelSpec, rng: inout SplitMix64) throws -> Sequential {
        var layers: [Layer] = []
        var shape = spec.input
        var weights = 0
        for (index, layerSpec) in spec.layers.enumerated() {
            do {
                weights += try checkSize(layerSpec, inputShape: shape)
                guard weights <= maxElements else {
                    throw ShapeError("the model's weights up to here number more than \(maxElements) in all")
                }
                let layer = try makeLayer(layerSpec, inputShape: shape, rng: &rng)
                shape = try layer.outputShape(for: shape)
                try checkSize(.relu, inputShape: shape)
                layers.append(layer)
            } catch let error as ShapeError {
                throw ModelError.layer(model: spec.name, index: index, reason: error.description)
            }
        }
        let model = try Sequential(layers, inputShape: spec.input)
        guard let scheme = WeightInit(rawValue: spec.initScheme) else {
            throw ModelError.unknownInit(model: spec.name, scheme: spec.initScheme)
        }
        try initialize(model, scheme: scheme, rng: &rng)
        return model
    }

    /// Largest number of values in one sample's activations, and in all the weights of a model
    /// together (1 GiB of Float32).
    public static let maxElements = 1 << 28

    /// Refuses a layer whose weights or input would not fit in memory (checked before
    /// allocating); returns the number of weights the layer will have.
    @discardableResult
    private static func checkSize(_ spec: LayerSpec, inputShape: [Int]) throws -> Int {
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

    private static func makeLayer(_ spec: LayerSpec, inputShape: [Int], rng: inout SplitMix64) throws -> Layer {
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
        }
    }
}
