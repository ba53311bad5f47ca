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
