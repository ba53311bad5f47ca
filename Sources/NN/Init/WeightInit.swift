import Foundation

/// How `initialize` fills a model's weights.
public enum WeightInit: String, CaseIterable, Sendable {
    /// PyTorch's defaults: Linear/Conv2d weight `kaiming_uniform_(a=√5)`, i.e. U(−b, b) with
    /// b = gain·√(3 / fan_in), gain = √(2 / (1 + a²)) = √(1/3), so b = 1/√fan_in; bias
    /// U(−1/√fan_in, 1/√fan_in); BatchNorm weight 1, bias 0, running_mean 0, running_var 1,
    /// num_batches_tracked 0.
    case pytorchDefault = "default"
    /// Linear/Conv2d weight as `torch.nn.init.orthogonal_` (gain 1) on the weight flattened to
    /// [out, fan_in]; everything else as `pytorchDefault`.
    case orthogonal
}

/// Why a model cannot be initialised.
public struct WeightInitError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Re-initialises every parameter and buffer of `model` by `scheme`, drawing from `rng` layer by
/// layer in state_dict order, inside blocks too (same seed, same bits).
///
/// Dispatches on `layer.kind` ("Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d") and parameter
/// names ("weight", "bias"); layers without parameters are left alone.
/// - Throws: `WeightInitError` for a layer kind or parameter name with no rule, or a LAPACK failure.
public func initialize(_ model: Sequential, scheme: WeightInit, rng: inout SplitMix64) throws {
    for (key, layer) in model.leafLayers {
        let context = "layer \(key) (\(layer.kind))"
        switch layer.kind {
        case "Linear", "Conv2d":
            guard let weight = layer.parameters.first(where: { $0.name == "weight" })?.value,
                weight.shape.count >= 2
            else { throw WeightInitError("\(context): no 'weight' of shape [out, in, ...]") }
            let fanIn = weight.featuresPerItem
            for parameter in layer.parameters {
                switch (parameter.name, scheme) {
                case ("weight", .pytorchDefault), ("bias", _):
                    fillUniform(parameter.value, bound: 1 / Float(fanIn).squareRoot(), rng: &rng)
                case ("weight", .orthogonal):
                    do {
                        try fillOrthogonal(parameter.value, rng: &rng)
                    } catch let error as WeightInitError {
                        throw WeightInitError("\(context) weight: \(error.description)")
                    }
                default:
                    throw WeightInitError("\(context): no initialisation rule for parameter '\(parameter.name)'")
                }
            }
        case "BatchNorm1d", "BatchNorm2d":
            for parameter in layer.parameters {
                guard let value = batchNormValues[parameter.name] else {
                    throw WeightInitError("\(context): no initialisation rule for parameter '\(parameter.name)'")
                }
                parameter.value.fill(value)
            }
            for buffer in layer.buffers {
                guard let value = batchNormValues[buffer.name] else {
                    throw WeightInitError("\(context): no initialisation rule for buffer '\(buffer.name)'")
                }
                buffer.value.fill(value)
            }
        default:
            guard layer.parameters.isEmpty else {
                throw WeightInitError("\(context): no initialisation rule for this layer kind")
            }
        }
    }
}

/// BatchNorm's initial parameters and buffers, by name.
private let batchNormValues: [String: Float] = [
    "weight": 1, "bias": 0, "running_mean": 0, "running_var": 1, "num_batches_tracked": 0,
]

/// Every element U(−bound, bound), in storage order.
private func fillUniform(_ tensor: Tensor, bound: Float, rng: inout SplitMix64) {
    for i in tensor.data.indices { tensor.data[i] = rng.uniform(-bound, bound) }
}
