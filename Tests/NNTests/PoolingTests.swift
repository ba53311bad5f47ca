import NN
import TestSupport
import XCTest

/// MaxPool2d and AvgPool2d against PyTorch and finite differences.
final class PoolingTests: XCTestCase {
    func testMaxPoolMatchesPyTorch() throws {
        try assertLayerMatchesFixture(MaxPool2d(kernelSize: 2), "layer_maxpool_k2s2", label: "maxpool k2 s2")
        try assertLayerMatchesFixture(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), "layer_maxpool_k3s2p1",
                                      label: "maxpool k3 s2 p1")
    }

    /// Repeated maxima: the gradient goes to the first one in the window, as in PyTorch.
    func testMaxPoolTiesGoToTheFirstMaximum() throws {
        let fixture = try assertLayerMatchesFixture(MaxPool2d(kernelSize: 3, stride: 2, padding: 1),
                                                    "layer_maxpool_ties", label: "maxpool ties")
        let x = try fixture.tensor("x").data
        XCTAssertLessThan(Set(x).count, x.count / 4, "the fixture must hold many ties")
    }

    func testAvgPoolMatchesPyTorch() throws {
        try assertLayerMatchesFixture(AvgPool2d(kernelSize: 2), "layer_avgpool_k2s2", label: "avgpool k2 s2")
        try assertLayerMatchesFixture(AvgPool2d(kernelSize: 3, stride: 2, padding: 1), "layer_avgpool_k3s2p1",
                                      label: "avgpool k3 s2 p1")
    }

    func testGradientsMatchFiniteDifferences() {
        // Distinct values 0.1 apart, so a 1e-2 nudge never changes a window's argmax.
        var rng = SplitMix64(seed: 8)
        let values = rng.permutation(2 * 2 * 5 * 6).map { Float($0) * 0.1 }
        let x = Tensor(shape: [2, 2, 5, 6], data: values)
        assertGradientsMatchFiniteDifferences(MaxPool2d(kernelSize: 3, stride: 2, padding: 1), input: x, "maxpool")
        assertGradientsMatchFiniteDifferences(AvgPool2d(kernelSize: 3, stride: 2, padding: 1),
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
