import TestSupport
import XCTest

@testable import NN

/// Conv2d (im2col + sgemm, and the direct 3x3 kernel) against PyTorch and finite differences.
final class Conv2dTests: XCTestCase {
    func testStridesAndPaddingsMatchPyTorch() throws {
        for stride in [1, 2] {
            for padding in [0, 1] {
                let conv = Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, stride: stride, padding: padding)
                try assertLayerMatchesFixture(
                    conv, "layer_conv2d_s\(stride)_p\(padding)",
                    label: "conv2d s\(stride) p\(padding)")
            }
        }
    }

    func testKernel5WithoutBiasMatchesPyTorch() throws {
        let conv = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 5, stride: 2, padding: 2, bias: false)
        try assertLayerMatchesFixture(conv, "layer_conv2d_k5_s2_p2_nobias", label: "conv2d k5 s2 p2 nobias")
    }

    /// 12 -> 10 channels, 3x3, stride 1, padding 1: the direct kernel's path where the CPU has it.
    func testDirectKernelShapeMatchesPyTorch() throws {
        let conv = Conv2d(inChannels: 12, outChannels: 10, kernelSize: 3, padding: 1)
        XCTAssertEqual(
            Direct3x3.applies(to: try Window2d("test", inputShape: [12, 6, 7], kernel: 3, stride: 1, padding: 1)),
            Direct3x3.isAvailable)
        try assertLayerMatchesFixture(conv, "layer_conv2d_c12_direct", label: "conv2d c12 direct")
    }

    func testGradientsMatchFiniteDifferences() {
        for (stride, padding) in [(1, 1), (2, 0)] {
            let conv = Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, stride: stride, padding: padding)
            randomizeParameters(conv, seed: 3)
            assertGradientsMatchFiniteDifferences(
                conv, input: randomTensor([2, 2, 5, 6], seed: 4),
                "conv2d s\(stride) p\(padding)")
        }
    }

    /// A batch cut into uneven blocks (11 samples in 8 blocks of 1 or 2) gives, sample by
    /// sample, what batches of one give, and the weight gradient sums over the whole batch.
    func testBlockedBatchMatchesSampleBySample() {
        let (n, shape) = (11, [16, 20, 20])
        XCTAssertGreaterThan(n, Conv2d.blockCount)
        let conv = Conv2d(inChannels: 16, outChannels: 3, kernelSize: 3, padding: 1)
        randomizeParameters(conv, seed: 5)
        let x = randomTensor([n] + shape, seed: 6)
        let dy = randomTensor([n, 3, 20, 20], seed: 7)
        let y = conv.forward(x, training: true).clone()
        let dx = conv.backward(dy).clone()
        let dW = conv.weight.grad.clone()
        conv.weight.zeroGrad()
        let count = x.featuresPerItem
        let outCount = dy.featuresPerItem
        var ySingle: [Float] = []
        var dxSingle: [Float] = []
        for i in 0..<n {
            let xi = Tensor(shape: [1] + shape, data: Array(x.data[(i * count)..<((i + 1) * count)]))
            ySingle += conv.forward(xi, training: true).data
            let dyi = Tensor(shape: [1, 3, 20, 20], data: Array(dy.data[(i * outCount)..<((i + 1) * outCount)]))
            dxSingle += conv.backward(dyi).data
        }
        assertMatches(y.data, ySingle, tolerance: 1e-5, "conv2d blocked/y")
        assertMatches(dx.data, dxSingle, tolerance: 1e-5, "conv2d blocked/dx")
        assertMatches(dW.data, conv.weight.grad.data, tolerance: 1e-5, "conv2d blocked/dweight")
    }

    func testShapeErrors() {
        let conv = Conv2d(inChannels: 3, outChannels: 8, kernelSize: 5)
        assertShapeError(["3 input channels", "found 1"]) { try conv.outputShape(for: [1, 28, 28]) }
        assertShapeError(["kernel 5", "4x4"]) { try conv.outputShape(for: [3, 4, 4]) }
        assertShapeError(["[C, H, W]"]) { try conv.outputShape(for: [3, 28]) }
    }

    func testShapesAndFlops() throws {
        let conv = Conv2d(inChannels: 1, outChannels: 8, kernelSize: 3, padding: 1)
        XCTAssertEqual(conv.kind, "Conv2d")
        XCTAssertEqual(conv.weight.value.shape, [8, 1, 3, 3])
        XCTAssertEqual(try conv.outputShape(for: [1, 28, 28]), [8, 28, 28])
        XCTAssertEqual(
            try Conv2d(inChannels: 3, outChannels: 4, kernelSize: 3, stride: 2).outputShape(for: [3, 7, 9]),
            [4, 3, 4])
        XCTAssertEqual(conv.flops(for: [1, 28, 28]), 2 * 9 * 8 * 784 + 8 * 784)
    }
}
