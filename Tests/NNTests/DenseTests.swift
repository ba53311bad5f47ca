import NN
import TestSupport
import XCTest

/// Dense (nn.Linear) against PyTorch and finite differences.
final class DenseTests: XCTestCase {
    func testLinearMatchesPyTorch() throws {
        try assertLayerMatchesFixture(Dense(inFeatures: 5, outFeatures: 3), "layer_linear", label: "linear")
    }

    func testLinearWithoutBiasMatchesPyTorch() throws {
        let layer = Dense(inFeatures: 5, outFeatures: 3, bias: false)
        XCTAssertNil(layer.bias)
        try assertLayerMatchesFixture(layer, "layer_linear_nobias", label: "linear nobias")
    }

    func testBackwardAddsIntoParameterGradients() throws {
        let fixture = try Fixture("layer_linear")
        let layer = Dense(inFeatures: 5, outFeatures: 3)
        try load(layer.weight.value, from: fixture, "weight")
        try load(layer.bias!.value, from: fixture, "bias")
        let dy = try fixture.tensor("dy")
        for _ in 0..<2 {
            _ = layer.forward(try fixture.tensor("x"), training: true)
            _ = layer.backward(dy)
        }
        let twiceW = try fixture.tensor("grad.weight").data.map { 2 * $0 }
        let twiceB = try fixture.tensor("grad.bias").data.map { 2 * $0 }
        assertMatches(layer.weight.grad.data, twiceW, "linear accumulated/dweight")
        assertMatches(layer.bias!.grad.data, twiceB, "linear accumulated/dbias")
    }

    func testGradientsMatchFiniteDifferences() {
        let layer = Dense(inFeatures: 4, outFeatures: 3)
        randomizeParameters(layer, seed: 1)
        assertGradientsMatchFiniteDifferences(layer, input: randomTensor([3, 4], seed: 2), "dense")
    }

    func testShapeErrorsNameExpectedAndFoundFeatures() {
        assertShapeError(["784", "[100]"]) { try Dense(inFeatures: 784, outFeatures: 10).outputShape(for: [100]) }
        assertShapeError(["layer 1 (Linear)", "784", "[36]"]) {
            try Sequential([Flatten(), Dense(inFeatures: 784, outFeatures: 10)], inputShape: [1, 6, 6])
        }
    }

    func testShapesAndFlops() throws {
        let layer = Dense(inFeatures: 784, outFeatures: 10)
        XCTAssertEqual(layer.kind, "Linear")
        XCTAssertEqual(layer.weight.value.shape, [10, 784])
        XCTAssertEqual(layer.bias?.value.shape, [10])
        XCTAssertEqual(layer.parameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(try layer.outputShape(for: [784]), [10])
        XCTAssertEqual(layer.flops(for: [784]), 2 * 784 * 10 + 10)
        XCTAssertEqual(Dense(inFeatures: 784, outFeatures: 10, bias: false).flops(for: [784]), 2 * 784 * 10)
    }
}
