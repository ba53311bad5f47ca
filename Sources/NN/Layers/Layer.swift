/// Non-trainable state a layer keeps in its PyTorch state_dict (BatchNorm's running statistics).
public struct Buffer {
    /// Local name, as PyTorch names it: "running_mean", "running_var", "num_batches_tracked".
    public let name: String
    public let value: Tensor
    /// Stored as int64 in PyTorch (num_batches_tracked); kept here as a whole-valued Float.
    public let isInteger: Bool

    public init(name: String, value: Tensor, isInteger: Bool = false) {
        self.name = name
        self.value = value
        self.isInteger = isInteger
    }
}

/// Why a layer cannot take an input shape.
public struct ShapeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One layer with an explicit forward/backward pair (as in llm.c).
///
/// Shapes below are per batch: `x` is [N, ...inputShape]. `forward` keeps what `backward` needs;
/// `backward` returns dL/dx and ADDS dL/dθ into each parameter's `grad`. Returned tensors are
/// owned by the layer and reused by its next call of the same kind.
public protocol Layer: AnyObject {
    /// PyTorch module name: "Linear", "Conv2d", "ReLU", ...
    var kind: String { get }
    /// Trainable parameters in state_dict order, with local names ("weight", "bias").
    var parameters: [Parameter] { get }
    /// Non-trainable state in state_dict order.
    var buffers: [Buffer] { get }
    /// Parameters with keys relative to this layer, in state_dict order: "weight", "bias"; a
    /// block prefixes its inner layers' keys ("body.0.weight").
    var namedParameters: [(key: String, parameter: Parameter)] { get }
    /// Every state_dict entry (parameters, then buffers, module by module), keys relative to
    /// this layer.
    var stateDict: [(key: String, value: Tensor, isInteger: Bool)] { get }
    /// The layers inside a block with their relative keys ("body.0", "shortcut.1"); [] for a
    /// plain layer.
    var sublayers: [(key: String, layer: Layer)] { get }
    /// Per-sample output shape for a per-sample input shape, e.g. [1, 28, 28] -> [8, 28, 28].
    func outputShape(for inputShape: [Int]) throws -> [Int]
    /// Floating-point operations per sample for a per-sample input shape (a multiply-add is 2).
    func flops(for inputShape: [Int]) -> Int
    /// y = layer(x): [N, ...in] -> [N, ...out]. `training` selects batch statistics and dropout.
    func forward(_ x: Tensor, training: Bool) -> Tensor
    /// dy: [N, ...out] -> dx: [N, ...in]; adds into parameter gradients.
    func backward(_ dy: Tensor) -> Tensor
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [Buffer] { [] }
    public func flops(for inputShape: [Int]) -> Int { 0 }
    public var namedParameters: [(key: String, parameter: Parameter)] { parameters.map { ($0.name, $0) } }
    public var stateDict: [(key: String, value: Tensor, isInteger: Bool)] {
        parameters.map { ($0.name, $0.value, false) } + buffers.map { ($0.name, $0.value, $0.isInteger) }
    }
    public var sublayers: [(key: String, layer: Layer)] { [] }

    /// This layer if it is plain, else the plain layers inside it (recursively), each with its
    /// key: `key` for a plain layer, "\(key).body.0" inside a block.
    func leaves(key: String) -> [(key: String, layer: Layer)] {
        sublayers.isEmpty ? [(key, self)] : sublayers.flatMap { $0.layer.leaves(key: "\(key).\($0.key)") }
    }
}

/// A layer that can add its parameter gradients without computing dL/dx (the first layer of a
/// network, whose input needs no gradient). `backwardParameters(dy)` leaves every parameter
/// gradient exactly as `backward(dy)` would.
protocol ParameterGradientLayer: Layer {
    func backwardParameters(_ dy: Tensor)
}

/// A layer that can apply a neighbouring ReLU inside its own passes (`Sequential` decides when):
/// `forward(x, training:, rectified: true)` returns max(0, y) of what the two layers would
/// return together, and the next `backward` applies the ReLU's gradient mask as well.
protocol RectifyingLayer: Layer {
    func forward(_ x: Tensor, training: Bool, rectified: Bool) -> Tensor
}
