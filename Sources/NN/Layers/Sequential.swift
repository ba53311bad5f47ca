/// An ordered stack of layers, named like PyTorch's `nn.Sequential`: the parameters of layer i
/// are "i.weight", "i.bias", its buffers "i.running_mean", ... so state dicts move both ways
/// without renaming.
public final class Sequential {
    public let layers: [Layer]
    /// Per-sample input shape, e.g. [1, 28, 28].
    public let inputShape: [Int]
    /// Per-sample output shape, e.g. [10].
    public let outputShape: [Int]
    /// Per-sample input shape of each layer (layerInputShapes[0] == inputShape).
    public let layerInputShapes: [[Int]]

    /// Checks that each layer accepts the previous one's output shape.
    public init(_ layers: [Layer], inputShape: [Int]) throws {
        var shape = inputShape
        var shapes: [[Int]] = []
        for (i, layer) in layers.enumerated() {
            shapes.append(shape)
            do {
                shape = try layer.outputShape(for: shape)
            } catch let error as ShapeError {
                throw ShapeError("layer \(i) (\(layer.kind)): \(error.description)")
            }
        }
        self.layers = layers
        self.inputShape = inputShape
        self.outputShape = shape
        self.layerInputShapes = shapes
        self.allParameters = layers.flatMap(\.parameters)
        self.firstParameterLayer = layers.firstIndex { !$0.parameters.isEmpty }
        self.tapAt = Array(repeating: nil, count: layers.count)
        self.reluAfterNorm = layers.indices.map { i in layers[i] is ReLU && i > 0 && layers[i - 1] is BatchNorm }
        self.reluBeforePool = layers.indices.map { i in
            layers[i] is ReLU && i + 1 < layers.count && layers[i + 1] is MaxPool2d
        }
        self.flattenBeforeLinear = layers.indices.map { i in
            layers[i] is Flatten && i + 1 < layers.count && layers[i + 1] is Dense
        }
        self.poolAfterConvolution = layers.indices.map { i in
            guard layers[i] is Conv2d else { return nil }
            if i + 1 < layers.count, layers[i + 1] is MaxPool2d { return i + 1 }
            if i + 2 < layers.count, layers[i + 1] is ReLU, layers[i + 2] is MaxPool2d { return i + 2 }
            return nil
        }
    }

    /// Per index: a ReLU right after a BatchNorm / right before a MaxPool2d; a Flatten right
    /// before a Linear; for a Conv2d the MaxPool2d right after it or after a ReLU after it.
    private let reluAfterNorm: [Bool]
    private let reluBeforePool: [Bool]
    private let flattenBeforeLinear: [Bool]
    private let poolAfterConvolution: [Int?]

    /// The max pooling whose forward convolution `index` runs inside its own (nil: none): the
    /// one `poolAfterConvolution` found, unless the convolution's output is tapped, a ReLU
    /// between them runs by itself (tapped), or the convolution takes a path that pools nothing
    /// (asked at each call: `Direct3x3` can be switched on and off at run time).
    private func pooling(inside index: Int) -> Int? {
        guard let pool = poolAfterConvolution[index], tapAt[index] == nil,
            pool == index + 1 || hostOfReLU(index + 1) == pool,
            let conv = layers[index] as? Conv2d, conv.canPoolOutput(forInputShape: layerInputShapes[index])
        else { return nil }
        return pool
    }

    /// The index of the layer that runs layer `index`'s forward inside its own: `host(of:)`, or
    /// for a max pooling the convolution before it (`Conv2d.forward(_:training:pooledBy:rectified:)`:
    /// each sample's output is pooled while in cache; the pooling's backward still runs).
    public func forwardHost(of index: Int) -> Int? {
        if let host = host(of: index) { return host }
        for back in 1...2 where index >= back && pooling(inside: index - back) == index { return index - back }
        return nil
    }

    /// The index of the layer that does the work of layer `index` inside its own passes (nil:
    /// layer `index` runs by itself). Layer `index` then passes its input and its output
    /// gradient on unchanged. Hosted are:
    /// - a ReLU: by the batch norm before it, unless that batch norm's output is tapped, else by
    ///   the max pooling after it, unless the ReLU's own output is tapped;
    /// - a Flatten, unless tapped: by the Linear after it, which reads any [N, ...] as
    ///   [N, features] and returns dx in the shape it read, so the Flatten's two copies go.
    public func host(of index: Int) -> Int? {
        if let host = hostOfReLU(index) { return host }
        return flattenBeforeLinear[index] && tapAt[index] == nil ? index + 1 : nil
    }

    /// `host(of:)` for a ReLU (nil for any other layer).
    private func hostOfReLU(_ index: Int) -> Int? {
        if reluAfterNorm[index], tapAt[index - 1] == nil { return index - 1 }
        if reluBeforePool[index], tapAt[index] == nil { return index + 1 }
        return nil
    }

    /// Whether layer `index` applies the ReLU before or after it.
    private func rectifies(_ index: Int) -> Bool {
        (index > 0 && hostOfReLU(index - 1) == index)
            || (index + 1 < layers.count && hostOfReLU(index + 1) == index)
    }

    /// The tap of each layer (nil: untapped), indexed like `layers`.
    private var tapAt: [FeatureTap?]

    /// The tap on layer `index`'s output (the one already there, or a new one). A tap before the
    /// first layer with parameters gets no gradient from `accumulateGradients` (nothing upstream
    /// trains).
    public func tap(layer index: Int) -> FeatureTap {
        precondition(layers.indices.contains(index), "Sequential: no layer \(index) to tap")
        if let tap = tapAt[index] { return tap }
        let tap = FeatureTap(layer: index, shape: index + 1 < layers.count ? layerInputShapes[index + 1] : outputShape)
        tapAt[index] = tap
        return tap
    }

    /// True when some BatchNorm, at the top level or inside a residual block's body or shortcut,
    /// normalises one value per channel per sample (after a linear layer, or on a 1x1 map): a
    /// training batch of 1 has no variance there (PyTorch: "Expected more than 1 value per channel").
    public var normalizesOneValuePerChannel: Bool {
        zip(layers, layerInputShapes).contains { layer, shape in
            if let block = layer as? Residual {
                return block.body.normalizesOneValuePerChannel || block.shortcut?.normalizesOneValuePerChannel == true
            }
            return layer is BatchNorm && shape.dropFirst().reduce(1, *) == 1
        }
    }

    /// Index of the first layer with parameters (nil: none).
    public var firstTrainableLayer: Int? { firstParameterLayer }

    /// `parameters`, gathered once (a layer's parameter objects never change).
    private let allParameters: [Parameter]
    private let firstParameterLayer: Int?

    /// When set, every layer's forward and backward time is added to it.
    public var profile: LayerProfile?

    /// x: [N, ...inputShape] -> logits [N, ...outputShape].
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var h = x
        for index in layers.indices {
            let start = profile.map { _ in MonotonicClock.seconds }
            if forwardHost(of: index) == nil { h = forward(layer: index, h, training: training) }
            if let tap = tapAt[index] { tap.feature = h }
            if let start { profile?.addForward(index, since: start) }
        }
        return h
    }

    /// Layer `index`'s forward of h, with the work of the neighbours it hosts.
    private func forward(layer index: Int, _ h: Tensor, training: Bool) -> Tensor {
        if let pool = pooling(inside: index), let conv = layers[index] as? Conv2d,
            let pooling = layers[pool] as? MaxPool2d
        {
            return conv.forward(h, training: training, pooledBy: pooling, rectified: pool == index + 2)
        }
        if rectifies(index), let host = layers[index] as? RectifyingLayer {
            return host.forward(h, training: training, rectified: true)
        }
        return layers[index].forward(h, training: training)
    }

    /// `layers[index].backward(dy)` (dy plus the tap's gradient when the layer is tapped; passed
    /// on as it is by a layer that a neighbour hosts), timed when profiling.
    private func backward(layer index: Int, _ dy: Tensor) -> Tensor {
        let start = profile.map { _ in MonotonicClock.seconds }
        defer { if let start { profile?.addBackward(index, since: start) } }
        let gradient = tapAt[index]?.adding(into: dy) ?? dy
        return host(of: index) != nil ? gradient : layers[index].backward(gradient)
    }

    /// dy: [N, ...outputShape] -> dx; adds every parameter's gradient.
    @discardableResult
    public func backward(_ dy: Tensor) -> Tensor {
        var g = dy
        // A stride: `indices.reversed()` allocated once per call (AllocationTests, debug build).
        for index in stride(from: layers.count - 1, through: 0, by: -1) { g = backward(layer: index, g) }
        return g
    }

    /// The parameter gradients of `backward(dy)`, without the gradient w.r.t. the network's
    /// input: the first layer with parameters computes only its parameter gradients and the
    /// layers before it are skipped. What a training step needs (the input needs no gradient),
    /// and cheaper (for an MLP, one sgemm of three fewer per step in the first layer).
    public func accumulateGradients(_ dy: Tensor) {
        guard let first = firstParameterLayer else { return }
        var g = dy
        for index in stride(from: layers.count - 1, to: first, by: -1) { g = backward(layer: index, g) }
        if let layer = layers[first] as? ParameterGradientLayer {
            let start = profile.map { _ in MonotonicClock.seconds }
            layer.backwardParameters(tapAt[first]?.adding(into: g) ?? g)
            if let start { profile?.addBackward(first, since: start) }
        } else {
            _ = backward(layer: first, g)
        }
    }

    /// Clears every parameter gradient.
    public func zeroGrad() {
        for index in allParameters.indices { allParameters[index].zeroGrad() }
    }

    /// All parameters in state_dict order.
    public var parameters: [Parameter] { allParameters }

    /// Parameters with their state_dict keys ("0.weight", ...), in state_dict order.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        layers.enumerated().flatMap { i, layer in layer.namedParameters.map { ("\(i).\($0.key)", $0.parameter) } }
    }

    /// Every state_dict entry (parameters, then buffers, layer by layer; inside a block, its
    /// inner layers in order), as PyTorch orders them: "0.weight", "3.body.1.running_mean".
    public var stateDict: [(key: String, value: Tensor, isInteger: Bool)] {
        layers.enumerated().flatMap { i, layer in
            layer.stateDict.map { ("\(i).\($0.key)", $0.value, $0.isInteger) }
        }
    }

    /// Every plain layer with its key, blocks opened: ("0", conv), ("3.body.0", conv), ...
    public var leafLayers: [(key: String, layer: Layer)] {
        layers.enumerated().flatMap { i, layer in layer.leaves(key: "\(i)") }
    }

    /// Number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    /// Forward FLOPs per sample.
    public var flopsPerSample: Int {
        zip(layers, layerInputShapes).reduce(0) { $0 + $1.0.flops(for: $1.1) }
    }
}
