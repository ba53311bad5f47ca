import NN
import XCTest

/// `Sequential.tap(layer:)`: the forward pass hands the tap the layer's own output (no copy),
/// the backward pass adds a marked tap gradient into that layer's output gradient exactly once.
final class FeatureTapTests: XCTestCase {
    private func model() throws -> Sequential {
        try Sequential(
            [
                Conv2d(inChannels: 1, outChannels: 3, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 2),
                Flatten(), Dense(inFeatures: 3 * 4 * 4, outFeatures: 4),
            ],
            inputShape: [1, 8, 8])
    }

    private func randomize(_ tensor: Tensor, _ rng: inout SplitMix64) {
        for i in tensor.data.indices { tensor.data[i] = rng.uniform(-1, 1) }
    }

    func testTapSeesTheLayersOwnOutput() throws {
        let m = try model()
        let tap = m.tap(layer: 1)
        XCTAssertTrue(m.tap(layer: 1) === tap, "one tap per layer")
        XCTAssertEqual(tap.shape, [3, 8, 8])
        XCTAssertEqual(m.tap(layer: 4).shape, [4])
        var rng = SplitMix64(seed: 3)
        let x = Tensor(shape: [2, 1, 8, 8])
        randomize(x, &rng)
        _ = m.forward(x, training: true)
        let relu = m.layers[1].forward(m.layers[0].forward(x, training: true), training: true)
        XCTAssertTrue(tap.feature === relu, "the tap holds the ReLU's output tensor itself")
    }

    /// Gradients with a tap gradient g at layer 1 equal those of backward from layer 1 with
    /// (upstream + g), computed by hand layer by layer; the next backward no longer adds g.
    func testMarkedGradientIsAddedOnce() throws {
        let m = try model()
        var rng = SplitMix64(seed: 4)
        for p in m.parameters { randomize(p.value, &rng) }
        let x = Tensor(shape: [2, 1, 8, 8])
        randomize(x, &rng)
        let dy = Tensor(shape: [2, 4])
        randomize(dy, &rng)
        let tap = m.tap(layer: 1)
        _ = m.forward(x, training: true)
        tap.gradient.resize(to: [2, 3, 8, 8])
        randomize(tap.gradient, &rng)
        let g = tap.gradient.clone()
        m.zeroGrad()
        tap.markGradient()
        m.accumulateGradients(dy)
        let tapped = m.parameters.map { $0.grad.clone() }
        XCTAssertFalse(tap.hasGradient)

        m.zeroGrad()
        var h = dy
        // The layers' own backward, as Sequential runs them (a layer a neighbour hosts passes dy on).
        for index in stride(from: 4, through: 2, by: -1) where m.host(of: index) == nil {
            h = m.layers[index].backward(h)
        }
        let sum = h.clone()
        sum.add(g)
        _ = m.layers[0].backward(m.layers[1].backward(sum))
        for (a, b) in zip(tapped, m.parameters) { XCTAssertEqual(a.data, b.grad.data) }

        m.zeroGrad()
        m.accumulateGradients(dy)
        let plain = m.parameters.map { $0.grad.clone() }
        m.zeroGrad()
        _ = m.backward(dy)
        for (a, b) in zip(plain, m.parameters) { XCTAssertEqual(a.data, b.grad.data, "unmarked: no tap gradient") }
    }
}
