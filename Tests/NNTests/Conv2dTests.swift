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

    /// A max pooling after a convolution on the im2col path (with or without a ReLU between)
    /// runs inside the convolution's forward: y, dx, dW and db equal the layers run apart bit for
    /// bit, on the 2x2 pooling and an overlapping 3x3 one, in train and eval mode. A tapped
    /// convolution, or one on the direct 3x3 path, pools nothing.
    func testMaxPoolingInsideTheConvolutionEqualsSeparateLayers() throws {
        let cases: [(rectified: Bool, pool: () -> MaxPool2d)] = [
            (true, { MaxPool2d(kernelSize: 2) }), (false, { MaxPool2d(kernelSize: 2) }),
            (true, { MaxPool2d(kernelSize: 3, stride: 2, padding: 1) }),
        ]
        for (index, testCase) in cases.enumerated() {
            for training in [true, false] {
                let convs = (0..<2).map { _ in Conv2d(inChannels: 2, outChannels: 5, kernelSize: 3, padding: 1) }
                for conv in convs { randomizeParameters(conv, seed: 60 + UInt64(index)) }
                let (pools, relu) = ([testCase.pool(), testCase.pool()], ReLU())
                let fused = try Sequential(
                    testCase.rectified ? [convs[0], ReLU(), pools[0]] : [convs[0], pools[0]], inputShape: [2, 12, 12])
                let poolIndex = testCase.rectified ? 2 : 1
                XCTAssertEqual(fused.forwardHost(of: poolIndex), 0)
                XCTAssertNil(fused.host(of: poolIndex), "the pooling's backward runs")
                let x = randomTensor([9, 2, 12, 12], seed: 70 + UInt64(index))
                let y = fused.forward(x, training: training).data
                let convolved = convs[1].forward(x, training: training)
                let pooledInput = testCase.rectified ? relu.forward(convolved, training: training) : convolved
                let expectedY = pools[1].forward(pooledInput, training: training)
                XCTAssertEqual(y.map(\.bitPattern), expectedY.data.map(\.bitPattern), "y, case \(index)")
                XCTAssertTrue(y.contains { $0 > 0 } && y.contains { $0 <= 0 })
                let dy = randomTensor(expectedY.shape, seed: 80 + UInt64(index))
                let dx = fused.backward(dy).data
                let pooledGradient = pools[1].backward(dy)
                let expectedDx = convs[1].backward(testCase.rectified ? relu.backward(pooledGradient) : pooledGradient)
                XCTAssertEqual(dx, expectedDx.data, "dx, case \(index)")
                XCTAssertEqual(convs[0].weight.grad.data, convs[1].weight.grad.data)
                XCTAssertEqual(convs[0].bias?.grad.data, convs[1].bias?.grad.data)
            }
        }
        let tapped = try Sequential(
            [Conv2d(inChannels: 2, outChannels: 3, kernelSize: 3, padding: 1), MaxPool2d(kernelSize: 2)],
            inputShape: [2, 8, 8])
        _ = tapped.tap(layer: 0)
        XCTAssertNil(tapped.forwardHost(of: 1))
        let direct = try Sequential(
            [Conv2d(inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1), MaxPool2d(kernelSize: 2)],
            inputShape: [8, 8, 8])
        XCTAssertEqual(direct.forwardHost(of: 1) == nil, Direct3x3.isEnabled, "the direct path pools nothing")
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
