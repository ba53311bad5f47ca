import TestSupport
import XCTest

@testable import NN

/// The direct 3x3 convolution (`Direct3x3`, AVX-512; stride 1 and 2) against the im2col + sgemm
/// path it replaces:
/// the same y, dx, dW and db to float rounding, for channel counts that are and are not
/// multiples of 8 (or of the weight gradient's 3), one output channel, non-square and tiny
/// images, batches of one image (its output channels split over the cores), smaller than, equal
/// to and not a multiple of the block count, and a layer whose image size changes between calls
/// (the padded scratch is laid out again).
final class Direct3x3Tests: XCTestCase {
    /// The path the process chose (CPU and KD_CONV3X3), restored after each test.
    private let chosen = Direct3x3.isEnabled

    override func setUpWithError() throws {
        try XCTSkipUnless(Direct3x3.isAvailable, "this CPU has no AVX-512F: the im2col path runs everywhere")
    }

    override func tearDown() { Direct3x3.isEnabled = chosen }

    /// (y, dx, dW, db) of one forward and backward on the chosen path; gradients start at zero.
    private func run(_ conv: Conv2d, _ x: Tensor, _ dy: Tensor, direct: Bool) -> [[Float]] {
        Direct3x3.isEnabled = direct
        conv.weight.zeroGrad()
        conv.bias?.zeroGrad()
        let y = conv.forward(x, training: true).data
        let dx = conv.backward(dy).data
        return [y, dx, conv.weight.grad.data, conv.bias?.grad.data ?? []]
    }

    func testMatchesTheIm2colPath() throws {
        // (stride, in, out, H, W, batch, bias); 40 and 33 outputs: the weight gradient's block of 32
        // outputs, then one of 8 (input channels in pairs, then one) or of 1
        let cases = [
            (1, 8, 4, 5, 7, 2, true), (1, 8, 16, 28, 28, 3, false), (1, 16, 16, 14, 14, 8, false),
            (1, 13, 10, 6, 5, 11, true), (1, 8, 9, 7, 7, 17, false), (1, 32, 64, 7, 7, 4, true),
            (1, 9, 2, 1, 1, 1, true), (1, 10, 1, 3, 40, 2, false), (1, 16, 28, 9, 9, 1, true),
            (1, 9, 40, 6, 6, 3, true), (1, 11, 33, 5, 9, 2, false),
            (2, 16, 32, 28, 28, 3, false), (2, 8, 9, 7, 7, 5, true), (2, 13, 10, 6, 5, 11, true),
            (2, 8, 8, 1, 1, 1, false), (2, 32, 16, 14, 9, 1, true), (2, 10, 3, 3, 40, 2, false),
        ]
        for (index, (stride, cin, cout, h, w, n, bias)) in cases.enumerated() {
            let conv = Conv2d(inChannels: cin, outChannels: cout, kernelSize: 3, stride: stride, padding: 1, bias: bias)
            randomizeParameters(conv, seed: UInt64(10 + index))
            let x = randomTensor([n, cin, h, w], seed: UInt64(100 + index))
            let outShape = try conv.outputShape(for: [cin, h, w])
            let dy = randomTensor([n] + outShape, seed: UInt64(200 + index))
            // Direct first, on a fresh layer: a stride-2 backward must size its own columns.
            let found = run(conv, x, dy, direct: true)
            let expected = run(conv, x, dy, direct: false)
            for (part, name) in ["y", "dx", "dW", "db"].enumerated() {
                assertMatches(found[part], expected[part], tolerance: 1e-5, "direct 3x3 case \(index) \(name)")
            }
        }
    }

    /// One layer fed 12x12, then 5x7, then 12x12 images: every call equals the im2col path.
    func testImageSizeChangesBetweenCalls() {
        let conv = Conv2d(inChannels: 8, outChannels: 12, kernelSize: 3, padding: 1)
        randomizeParameters(conv, seed: 1)
        for (index, (h, w)) in [(12, 12), (5, 7), (12, 12)].enumerated() {
            let x = randomTensor([9, 8, h, w], seed: UInt64(300 + index))
            let dy = randomTensor([9, 12, h, w], seed: UInt64(400 + index))
            let expected = run(conv, x, dy, direct: false)
            let found = run(conv, x, dy, direct: true)
            for (part, name) in ["y", "dx", "dW", "db"].enumerated() {
                assertMatches(found[part], expected[part], tolerance: 1e-5, "direct 3x3 \(h)x\(w) \(name)")
            }
        }
    }

    /// Backward with dx, then without (a first layer's: only x is padded, more images at a time),
    /// then with again, for stride 1 and 2: dW every time equals the im2col path's.
    func testWeightGradientWithAndWithoutInputGradient() throws {
        for stride in [1, 2] {
            let conv = Conv2d(inChannels: 8, outChannels: 16, kernelSize: 3, stride: stride, padding: 1, bias: false)
            randomizeParameters(conv, seed: 5)
            let x = randomTensor([16, 8, 28, 28], seed: 6)
            let dy = randomTensor([16] + (try conv.outputShape(for: [8, 28, 28])), seed: 7)
            let expected = run(conv, x, dy, direct: false)[2]
            for inputGradient in [true, false, true] {
                Direct3x3.isEnabled = true
                conv.weight.zeroGrad()
                _ = conv.forward(x, training: true)
                if inputGradient { _ = conv.backward(dy) } else { conv.backwardParameters(dy) }
                assertMatches(
                    conv.weight.grad.data, expected, tolerance: 1e-5, "stride \(stride) dW, dx \(inputGradient)")
            }
        }
    }

    /// The same inputs give the same bits twice (exact resume depends on it).
    func testRepeatsBitForBit() {
        let conv = Conv2d(inChannels: 16, outChannels: 16, kernelSize: 3, padding: 1)
        randomizeParameters(conv, seed: 2)
        let x = randomTensor([13, 16, 14, 14], seed: 3)
        let dy = randomTensor([13, 16, 14, 14], seed: 4)
        XCTAssertEqual(run(conv, x, dy, direct: true), run(conv, x, dy, direct: true))
    }

    /// Only 3x3 layers with padding 1, stride 1 or 2 and at least 8 input channels take the direct
    /// path.
    /// Whether a max pooling runs inside the convolution before it follows the path the
    /// convolution takes at each forward: switched from im2col to direct after the model was
    /// built, the pooling runs by itself again and the outputs are the im2col path's within the
    /// paths' rounding.
    func testPoolingInsideFollowsThePathSwitchedAtRunTime() throws {
        Direct3x3.isEnabled = false
        let conv = Conv2d(inChannels: 8, outChannels: 8, kernelSize: 3, padding: 1)
        randomizeParameters(conv, seed: 5)
        let model = try Sequential([conv, ReLU(), MaxPool2d(kernelSize: 2)], inputShape: [8, 8, 8])
        let x = randomTensor([3, 8, 8, 8], seed: 6)
        XCTAssertEqual(model.forwardHost(of: 2), 0)
        let pooledInside = model.forward(x, training: true).data
        Direct3x3.isEnabled = true
        XCTAssertNil(model.forwardHost(of: 2))
        let pooledApart = model.forward(x, training: true).data
        for (a, b) in zip(pooledInside, pooledApart) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(a))) }
    }

    func testAppliesTo3x3Padding1Only() throws {
        Direct3x3.isEnabled = true
        let cases = [
            (8, 3, 1, 1, true), (8, 3, 2, 1, true), (8, 3, 3, 1, false), (8, 3, 1, 0, false), (8, 5, 1, 2, false),
            (8, 1, 1, 0, false), (7, 3, 1, 1, false),
        ]
        for (c, k, s, p, expected) in cases {
            let g = try Window2d("test", inputShape: [c, 9, 9], kernel: k, stride: s, padding: p)
            XCTAssertEqual(Direct3x3.applies(to: g), expected, "c\(c) k\(k) s\(s) p\(p)")
        }
        Direct3x3.isEnabled = false
        XCTAssertFalse(
            Direct3x3.applies(to: try Window2d("test", inputShape: [8, 9, 9], kernel: 3, stride: 1, padding: 1)))
    }
}
