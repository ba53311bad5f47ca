import NN
import TestSupport
import XCTest

/// Whole PyTorch nn.Sequential models rebuilt as kd Sequential: state_dict keys, logits,
/// input gradient, every parameter gradient and the buffers after a training forward.
final class SequentialModelTests: XCTestCase {
    /// `zeroGradientKeys`: parameters whose exact gradient is 0 (a conv bias feeding a
    /// train-mode BatchNorm, which subtracts the channel mean); both sides hold only rounding
    /// noise (~1e-7), so they are checked absolutely instead of relative to that noise.
    private func checkModel(_ model: Sequential, _ name: String, zeroGradientKeys: Set<String> = []) throws {
        let fixture = try Fixture(name)
        XCTAssertEqual(model.inputShape, try fixture.meta("input_shape", as: [Int].self))
        let keys = try fixture.meta("state_dict_keys", as: [String].self)
        XCTAssertEqual(model.stateDict.map(\.key), keys, "\(name): state_dict keys")
        for entry in model.stateDict { try load(entry.value, from: fixture, "sd.\(entry.key)") }
        let gradKeys = fixture.file.names.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) }
        XCTAssertEqual(model.namedParameters.map(\.key).sorted(), gradKeys.sorted())
        let expectedCount = try gradKeys.reduce(0) { $0 + (try fixture.tensor("grad.\($1)")).count }
        XCTAssertEqual(model.parameterCount, expectedCount)

        model.zeroGrad()
        let logits = model.forward(try fixture.tensor("x"), training: true)
        assertMatches(logits, try fixture.tensor("logits"), "\(name)/logits")
        let dx = model.backward(try fixture.tensor("dy"))
        assertMatches(dx, try fixture.tensor("dx"), "\(name)/dx")
        for (key, p) in model.namedParameters where zeroGradientKeys.contains(key) {
            let pytorch = try fixture.tensor("grad.\(key)").data
            XCTAssertLessThan((p.grad.data + pytorch).map(abs).max() ?? 1, 1e-5, "\(name)/d\(key) should be ~0")
        }
        for (key, p) in model.namedParameters where !zeroGradientKeys.contains(key) {
            assertMatches(p.grad, try fixture.tensor("grad.\(key)"), "\(name)/d\(key)")
        }
        for entry in model.stateDict where entry.key.contains("running") || entry.key.contains("num_batches") {
            assertMatches(entry.value, try fixture.tensor("after.\(entry.key)"), "\(name)/after \(entry.key)")
        }
    }

    func testMLPMatchesPyTorch() throws {
        let mlp = try Sequential(
            [Flatten(), Dense(inFeatures: 36, outFeatures: 16), ReLU(), Dense(inFeatures: 16, outFeatures: 5)],
            inputShape: [1, 6, 6])
        XCTAssertEqual(mlp.outputShape, [5])
        XCTAssertEqual(mlp.flopsPerSample, 0 + (2 * 36 * 16 + 16) + 16 + (2 * 16 * 5 + 5))
        try checkModel(mlp, "model_mlp")
    }

    func testCNNMatchesPyTorch() throws {
        let cnn = try Sequential(
            [
                Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4), ReLU(),
                MaxPool2d(kernelSize: 2), Flatten(), Dense(inFeatures: 64, outFeatures: 5),
            ],
            inputShape: [2, 8, 8])
        XCTAssertEqual(cnn.layerInputShapes, [[2, 8, 8], [4, 8, 8], [4, 8, 8], [4, 8, 8], [4, 4, 4], [64]])
        XCTAssertEqual(cnn.stateDict.filter(\.isInteger).map(\.key), ["1.num_batches_tracked"])
        try checkModel(cnn, "model_cnn", zeroGradientKeys: ["0.bias"])
    }

    func testMismatchedModelIsAShapeErrorNamingTheLayer() {
        assertShapeError(["layer 5 (Linear)", "100", "[64]"]) {
            try Sequential(
                [
                    Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 4),
                    ReLU(),
                    MaxPool2d(kernelSize: 2), Flatten(), Dense(inFeatures: 100, outFeatures: 5),
                ],
                inputShape: [2, 8, 8])
        }
        assertShapeError(["layer 1 (BatchNorm2d)", "[8, H, W]"]) {
            try Sequential(
                [Conv2d(inChannels: 1, outChannels: 4, kernelSize: 3), BatchNorm2d(numFeatures: 8)],
                inputShape: [1, 8, 8])
        }
    }
}
