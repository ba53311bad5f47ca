import NN
import TestSupport
import XCTest

/// Residual blocks and global average pooling against PyTorch (fixtures_residual.py): forward,
/// input gradient, every parameter gradient and the running statistics, in training and eval
/// mode; finite differences as a second oracle.
final class ResidualTests: XCTestCase {
    /// `block` alone in a Sequential, as the fixture's nn.Sequential(block).
    private func wrapped(_ block: Residual) throws -> Sequential {
        try Sequential([block], inputShape: block.body.inputShape)
    }

    func testIdentityBlockMatchesPyTorch() throws {
        for (mode, training) in [("train", true), ("eval", false)] {
            try assertModelMatchesFixture(
                try wrapped(try resnetBlock(4, 4, stride: 1, size: 6)), "model_residual_identity_\(mode)",
                training: training)
        }
    }

    func testProjectionBlockMatchesPyTorch() throws {
        for (mode, training) in [("train", true), ("eval", false)] {
            let model = try wrapped(try resnetBlock(3, 5, stride: 2, size: 7))
            XCTAssertEqual(model.outputShape, [5, 4, 4])
            try assertModelMatchesFixture(model, "model_residual_projection_\(mode)", training: training)
        }
    }

    /// A projection without BatchNorm and no ReLU after the sum.
    func testPlainProjectionWithoutFinalReLUMatchesPyTorch() throws {
        let block = try resnetBlock(3, 5, stride: 2, size: 7, projectionBatchNorm: false, relu: false)
        try assertModelMatchesFixture(try wrapped(block), "model_residual_plain_train")
    }

    func testGlobalAvgPoolMatchesPyTorch() throws {
        try assertLayerMatchesFixture(GlobalAvgPool2d(), "layer_global_avgpool")
    }

    func testStateDictNamesFollowPyTorchModules() throws {
        let block = try resnetBlock(2, 3, stride: 2, size: 4)
        XCTAssertEqual(
            block.stateDict.map(\.key).filter { $0.hasSuffix("weight") },
            [
                "body.0.weight", "body.1.weight", "body.3.weight", "body.4.weight", "shortcut.0.weight",
                "shortcut.1.weight",
            ])
        XCTAssertEqual(block.namedParameters.count, block.parameters.count)
        XCTAssertEqual(
            block.sublayers.map(\.key), ["body.0", "body.1", "body.2", "body.3", "body.4", "shortcut.0", "shortcut.1"])
        let model = try Sequential([try resnetBlock(2, 2, stride: 1, size: 4)], inputShape: [2, 4, 4])
        XCTAssertEqual(model.leafLayers.map(\.key), ["0.body.0", "0.body.1", "0.body.2", "0.body.3", "0.body.4"])
        XCTAssertEqual(model.stateDict.first?.key, "0.body.0.weight")
    }

    /// Training mode only: in eval mode a nudge of a BatchNorm gamma moves a whole channel, so
    /// some pixel crosses a ReLU kink and the difference quotient is off (the eval fixtures
    /// above cover that mode).
    func testGradientsMatchFiniteDifferences() throws {
        for (cin, cout, stride) in [(2, 2, 1), (2, 3, 2)] {
            let block = try resnetBlock(cin, cout, stride: stride, size: 5)
            randomizeParameters(block, seed: 21)
            assertGradientsMatchFiniteDifferences(
                block, input: randomTensor([3, cin, 5, 5], seed: 22), training: true,
                epsilon: 1e-3, tolerance: 3e-3, "residual \(cin)->\(cout) stride \(stride)")
        }
        assertGradientsMatchFiniteDifferences(
            GlobalAvgPool2d(), input: randomTensor([2, 3, 2, 3], seed: 23), training: true, "global avgpool")
    }

    /// A body that hands its gradient straight back (eval dropout) still gives dx = 2 dy.
    func testPassThroughBodyDoublesTheGradient() throws {
        let body = try Sequential([Dropout(p: 0.5, rng: SplitMix64(seed: 1))], inputShape: [1, 2, 2])
        let block = try Residual(body: body, relu: false)
        let x = randomTensor([2, 1, 2, 2], seed: 3)
        XCTAssertEqual(block.forward(x, training: false).data, x.data.map { 2 * $0 })
        let dy = randomTensor([2, 1, 2, 2], seed: 4)
        XCTAssertEqual(block.backward(dy).data, dy.data.map { 2 * $0 })
        XCTAssertEqual(dy.data, randomTensor([2, 1, 2, 2], seed: 4).data, "dy is left as it was")
    }

    /// A BatchNorm over one value per channel is found inside a block's body and shortcut too
    /// (the trainer then drops a last batch of 1); one over a spatial map is not.
    func testOneValuePerChannelBatchNormIsFoundInsideBlocks() throws {
        XCTAssertTrue(try Sequential([BatchNorm1d(numFeatures: 4)], inputShape: [4]).normalizesOneValuePerChannel)
        let dense = try Sequential(
            [Dense(inFeatures: 4, outFeatures: 4), BatchNorm1d(numFeatures: 4)], inputShape: [4])
        let mlp = try Sequential([try Residual(body: dense), Dense(inFeatures: 4, outFeatures: 2)], inputShape: [4])
        XCTAssertTrue(mlp.normalizesOneValuePerChannel)

        func convBody(_ size: Int) throws -> Sequential {
            try Sequential(
                [Conv2d(inChannels: 2, outChannels: 2, kernelSize: 3, padding: 1), BatchNorm2d(numFeatures: 2)],
                inputShape: [2, size, size])
        }
        XCTAssertFalse(
            try Sequential([try Residual(body: try convBody(4))], inputShape: [2, 4, 4]).normalizesOneValuePerChannel)
        XCTAssertTrue(
            try Sequential([try Residual(body: try convBody(1))], inputShape: [2, 1, 1]).normalizesOneValuePerChannel)
        let plainBody = try Sequential([Conv2d(inChannels: 2, outChannels: 2, kernelSize: 1)], inputShape: [2, 1, 1])
        let shortcut = try Sequential(
            [Conv2d(inChannels: 2, outChannels: 2, kernelSize: 1), BatchNorm2d(numFeatures: 2)], inputShape: [2, 1, 1])
        let projected = try Sequential([try Residual(body: plainBody, shortcut: shortcut)], inputShape: [2, 1, 1])
        XCTAssertTrue(projected.normalizesOneValuePerChannel)
    }

    func testShapeErrors() throws {
        let body = try Sequential(
            [Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, stride: 2, padding: 1)], inputShape: [2, 6, 6])
        assertShapeError(["[3, 3, 3]", "identity shortcut gives [2, 6, 6]"]) { try Residual(body: body) }
        let wrongStride = try Sequential(
            [Conv2d(inChannels: 2, outChannels: 3, kernelSize: 1, stride: 1)], inputShape: [2, 6, 6])
        assertShapeError(["[3, 3, 3]", "shortcut gives [3, 6, 6]"]) { try Residual(body: body, shortcut: wrongStride) }
        XCTAssertEqual(try GlobalAvgPool2d().outputShape(for: [8, 7, 7]), [8])
        assertShapeError(["GlobalAvgPool2d", "[C, H, W]", "[64]"]) { try GlobalAvgPool2d().outputShape(for: [64]) }
        XCTAssertEqual(GlobalAvgPool2d().flops(for: [8, 7, 7]), 8 * 50)
    }
}
