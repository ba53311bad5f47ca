import NN
import TestSupport
import XCTest

/// MaxPool2d and AvgPool2d against PyTorch and finite differences.
final class PoolingTests: XCTestCase {
    func testMaxPoolMatchesPyTorch() throws {
        try assertLayerMatchesFixture(MaxPool2d(kernelSize: 2), "layer_maxpool_k2s2", label: "maxpool k2 s2")
        try assertLayerMatchesFixture(
            MaxPool2d(kernelSize: 3, stride: 2, padding: 1), "layer_maxpool_k3s2p1",
            label: "maxpool k3 s2 p1")
    }

    /// Repeated maxima: the gradient goes to the first one in the window, as in PyTorch.
    func testMaxPoolTiesGoToTheFirstMaximum() throws {
        let fixture = try assertLayerMatchesFixture(
            MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
            "layer_maxpool_ties", label: "maxpool ties")
        let x = try fixture.tensor("x").data
        XCTAssertLessThan(Set(x).count, x.count / 4, "the fixture must hold many ties")
    }

    /// The 2x2, stride-2 path (eight windows per vector, a scalar tail, rows narrower than
    /// eight windows, odd sizes) against the window definition: the first maximum wins, a NaN
    /// wins (the last one if several), dx routes each dy to its window's argmax and is 0 elsewhere.
    func testMaxPool2x2MatchesTheDefinition() {
        for (h, w) in [(4, 16), (6, 7), (7, 17), (14, 14), (28, 28), (5, 30)] {
            var rng = SplitMix64(seed: UInt64(h * 100 + w))
            let (n, c, ho, wo) = (2, 3, h / 2, w / 2)
            var x = (0..<(n * c * h * w)).map { _ in Float(rng.next() % 4) }  // many ties
            for i in stride(from: 5, to: x.count, by: 37) { x[i] = .nan }
            let dy = (0..<(n * c * ho * wo)).map { _ in rng.uniform(-1, 1) }
            var expectedY: [Float] = []
            var expectedDx = [Float](repeating: 0, count: x.count)
            for plane in 0..<(n * c) {
                for oh in 0..<ho {
                    for ow in 0..<wo {
                        var (best, at) = (-Float.infinity, 0)
                        for (di, dj) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                            let index = plane * h * w + (2 * oh + di) * w + 2 * ow + dj
                            if x[index] > best || x[index].isNaN { (best, at) = (x[index], index) }
                        }
                        expectedDx[at] += dy[expectedY.count]
                        expectedY.append(best)
                    }
                }
            }
            let pool = MaxPool2d(kernelSize: 2)
            let y = pool.forward(Tensor(shape: [n, c, h, w], data: x), training: true)
            let dx = pool.backward(Tensor(shape: [n, c, ho, wo], data: dy))
            XCTAssertEqual(y.shape, [n, c, ho, wo])
            XCTAssertEqual(y.data.map(\.bitPattern), expectedY.map(\.bitPattern), "y, \(h)x\(w)")
            XCTAssertEqual(dx.data, expectedDx, "dx, \(h)x\(w)")
        }
    }

    /// A ReLU right before a max pooling runs inside it in a `Sequential`: outputs and input
    /// gradients equal the two layers run apart, bit for bit (+0 and -0 told apart), on the 2x2
    /// path and the general one (overlapping 3x3 windows, rows under 4 windows), with ties,
    /// windows of no positive value, NaN in x and dy, in train and eval mode. A tap on the ReLU
    /// keeps it a layer of its own and sees its output.
    func testReLUFusedIntoMaxPoolEqualsSeparateLayers() throws {
        let cases: [(shape: [Int], pool: () -> MaxPool2d)] = [
            ([2, 3, 14, 14], { MaxPool2d(kernelSize: 2) }), ([2, 2, 7, 17], { MaxPool2d(kernelSize: 2) }),
            ([1, 2, 6, 6], { MaxPool2d(kernelSize: 2) }),
            ([2, 2, 9, 9], { MaxPool2d(kernelSize: 3, stride: 2, padding: 1) }),
        ]
        for (index, testCase) in cases.enumerated() {
            for training in [true, false] {
                var rng = SplitMix64(seed: 70 + UInt64(index))
                let count = testCase.shape.reduce(1, *)
                var x = (0..<count).map { _ in Float(Int(rng.next() % 4) - 2) }  // -2...1: ties, all-negative windows
                for i in stride(from: 3, to: count, by: 41) { x[i] = .nan }
                for i in stride(from: 8, to: count, by: 29) { x[i] = -0.0 }
                let (fusedPool, pool, relu) = (testCase.pool(), testCase.pool(), ReLU())
                let fused = try Sequential([ReLU(), fusedPool], inputShape: Array(testCase.shape.dropFirst()))
                XCTAssertEqual(fused.host(of: 0), 1)
                let input = Tensor(shape: testCase.shape, data: x)
                let y = fused.forward(input, training: training)
                let expectedY = pool.forward(relu.forward(input, training: training), training: training)
                XCTAssertEqual(y.data.map(\.bitPattern), expectedY.data.map(\.bitPattern), "y \(testCase.shape)")
                XCTAssertTrue(y.data.contains(0) && y.data.contains { $0 > 0 }, "the ReLU cuts some windows")
                var dy = (0..<y.count).map { _ in rng.uniform(-1, 1) }
                dy[1] = .nan
                let gradient = Tensor(shape: y.shape, data: dy)
                let dx = fused.backward(gradient).data.map(\.bitPattern)
                let expectedDx = relu.backward(pool.backward(gradient)).data.map(\.bitPattern)
                XCTAssertEqual(dx, expectedDx, "dx \(testCase.shape)")
            }
        }
        let tapped = try Sequential([ReLU(), MaxPool2d(kernelSize: 2)], inputShape: [2, 4, 4])
        let tap = tapped.tap(layer: 0)
        XCTAssertNil(tapped.host(of: 0))
        _ = tapped.forward(Tensor(shape: [1, 2, 4, 4], data: (0..<32).map { Float($0 % 5) - 2 }), training: true)
        XCTAssertEqual(tap.feature?.data.min(), 0, "the tap sees the ReLU's output")
    }

    func testAvgPoolMatchesPyTorch() throws {
        try assertLayerMatchesFixture(AvgPool2d(kernelSize: 2), "layer_avgpool_k2s2", label: "avgpool k2 s2")
        try assertLayerMatchesFixture(
            AvgPool2d(kernelSize: 3, stride: 2, padding: 1), "layer_avgpool_k3s2p1",
            label: "avgpool k3 s2 p1")
    }

    func testGradientsMatchFiniteDifferences() {
        // Distinct values 0.1 apart, so a 1e-2 nudge never changes a window's argmax.
        var rng = SplitMix64(seed: 8)
        let values = rng.permutation(2 * 2 * 5 * 6).map { Float($0) * 0.1 }
        let x = Tensor(shape: [2, 2, 5, 6], data: values)
        assertGradientsMatchFiniteDifferences(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), input: x, "maxpool")
        assertGradientsMatchFiniteDifferences(
            AvgPool2d(kernelSize: 3, stride: 2, padding: 1),
            input: randomTensor([2, 2, 5, 6], seed: 9), "avgpool")
    }

    func testShapesErrorsAndFlops() throws {
        XCTAssertEqual(MaxPool2d(kernelSize: 2).stride, 2)
        XCTAssertEqual(AvgPool2d(kernelSize: 3, stride: 1).stride, 1)
        XCTAssertEqual(try MaxPool2d(kernelSize: 2).outputShape(for: [8, 28, 28]), [8, 14, 14])
        XCTAssertEqual(try AvgPool2d(kernelSize: 3, stride: 2, padding: 1).outputShape(for: [3, 7, 9]), [3, 4, 5])
        assertShapeError(["padding 2", "kernel size 3"]) {
            try MaxPool2d(kernelSize: 3, padding: 2).outputShape(for: [1, 8, 8])
        }
        assertShapeError(["padding 2", "kernel size 2"]) {
            try AvgPool2d(kernelSize: 2, padding: 2).outputShape(for: [1, 8, 8])
        }
        assertShapeError(["kernel 3"]) { try MaxPool2d(kernelSize: 3).outputShape(for: [1, 2, 8]) }
        XCTAssertEqual(MaxPool2d(kernelSize: 2).flops(for: [8, 28, 28]), 8 * 14 * 14 * 4)
        XCTAssertEqual(AvgPool2d(kernelSize: 2).flops(for: [8, 28, 28]), 8 * 14 * 14 * 5)
    }
}
