import NN
import TestSupport
import XCTest

/// Whole PyTorch nn.Sequential models rebuilt as kd Sequential: state_dict keys, logits,
/// input gradient, every parameter gradient and the buffers after a training forward.
final class SequentialModelTests: XCTestCase {
    func testMLPMatchesPyTorch() throws {
        let mlp = try Sequential(
            [Flatten(), Dense(inFeatures: 36, outFeatures: 16), ReLU(), Dense(inFeatures: 16, outFeatures: 5)],
            inputShape: [1, 6, 6])
        XCTAssertEqual(mlp.outputShape, [5])
        XCTAssertEqual(mlp.flopsPerSample, 0 + (2 * 36 * 16 + 16) + 16 + (2 * 16 * 5 + 5))
        try assertModelMatchesFixture(mlp, "model_mlp")
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
        try assertModelMatchesFixture(cnn, "model_cnn", zeroGradientKeys: ["0.bias"])
    }

    /// A Flatten right before a Linear is hosted by it (nothing copied): logits, the input
    /// gradient (in the input's shape) and the parameter gradients equal a run where the Flatten
    /// is tapped, and so runs as a layer of its own.
    func testFlattenBeforeLinearCopiesNothing() throws {
        let models = try (0..<2).map { _ in
            try Sequential(
                [MaxPool2d(kernelSize: 2), Flatten(), Dense(inFeatures: 18, outFeatures: 4)], inputShape: [2, 6, 6])
        }
        for model in models { randomizeParameters(model.layers[2], seed: 90) }
        let tap = models[1].tap(layer: 1)
        XCTAssertEqual(models[0].host(of: 1), 2)
        XCTAssertNil(models[1].host(of: 1))
        let x = randomTensor([3, 2, 6, 6], seed: 91)
        let y = models.map { $0.forward(x, training: true).data }
        XCTAssertEqual(y[0], y[1])
        XCTAssertEqual(tap.feature?.shape, [3, 18])
        let dy = randomTensor([3, 4], seed: 92)
        let dx = models.map { $0.backward(dy) }
        XCTAssertEqual(dx.map(\.shape), [[3, 2, 6, 6], [3, 2, 6, 6]])
        XCTAssertEqual(dx[0].data, dx[1].data)
        XCTAssertTrue(dx[0].data.contains { $0 != 0 })
        XCTAssertEqual(models[0].parameters.map(\.grad.data), models[1].parameters.map(\.grad.data))
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
