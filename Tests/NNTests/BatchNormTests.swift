import NN
import TestSupport
import XCTest

/// BatchNorm1d/2d in train and eval mode against PyTorch and finite differences.
final class BatchNormTests: XCTestCase {
    /// Two training passes (x1, then x2 with backward) against PyTorch, then the running
    /// statistics and the counter after both.
    private func checkTrain(_ bn: BatchNorm, _ name: String) throws {
        let fixture = try Fixture(name)
        XCTAssertEqual(try fixture.meta("momentum", as: Float.self), bn.momentum)
        try load(bn.weight.value, from: fixture, "weight")
        try load(bn.bias.value, from: fixture, "bias")
        let y1 = bn.forward(try fixture.tensor("x1"), training: true)
        assertMatches(y1, try fixture.tensor("y1"), "\(name)/y1")
        try assertLayerMatchesFixture(bn, name, training: true)
        assertMatches(bn.runningMean, try fixture.tensor("after.running_mean"), "\(name)/running_mean")
        assertMatches(bn.runningVar, try fixture.tensor("after.running_var"), "\(name)/running_var")
        XCTAssertEqual(bn.numBatchesTracked.data, try fixture.tensor("after.num_batches_tracked").data)
        XCTAssertEqual(bn.numBatchesTracked.data, [2])
    }

    private func checkEval(_ bn: BatchNorm, _ name: String) throws {
        let fixture = try Fixture(name)
        try load(bn.runningMean, from: fixture, "running_mean")
        try load(bn.runningVar, from: fixture, "running_var")
        try assertLayerMatchesFixture(bn, name, training: false)
        XCTAssertEqual(bn.runningMean.data, try fixture.tensor("running_mean").data, "eval leaves running_mean")
        XCTAssertEqual(bn.numBatchesTracked.data, [0], "eval does not count batches")
    }

    func testBatchNorm1dTrainMatchesPyTorch() throws {
        try checkTrain(BatchNorm1d(numFeatures: 4, momentum: 0.2), "layer_batchnorm1d_train")
    }

    func testBatchNorm2dTrainMatchesPyTorch() throws {
        try checkTrain(BatchNorm2d(numFeatures: 3), "layer_batchnorm2d_train")
    }

    func testBatchNorm1dEvalMatchesPyTorch() throws {
        try checkEval(BatchNorm1d(numFeatures: 4), "layer_batchnorm1d_eval")
    }

    func testBatchNorm2dEvalMatchesPyTorch() throws {
        try checkEval(BatchNorm2d(numFeatures: 3), "layer_batchnorm2d_eval")
    }

    func testGradientsMatchFiniteDifferences() {
        // BatchNorm is nonlinear in x: a smaller step keeps the O(eps^2) truncation error small.
        for training in [true, false] {
            let mode = training ? "train" : "eval"
            let bn1 = BatchNorm1d(numFeatures: 3)
            randomizeParameters(bn1, seed: 10)
            bn1.runningVar.fill(0.7)
            assertGradientsMatchFiniteDifferences(
                bn1, input: randomTensor([5, 3], seed: 11), training: training,
                epsilon: 1e-3, tolerance: 2e-3, "batchnorm1d \(mode)")
            let bn2 = BatchNorm2d(numFeatures: 2)
            randomizeParameters(bn2, seed: 12)
            bn2.runningMean.fill(0.2)
            assertGradientsMatchFiniteDifferences(
                bn2, input: randomTensor([3, 2, 2, 3], seed: 13), training: training,
                epsilon: 1e-3, tolerance: 2e-3, "batchnorm2d \(mode)")
        }
    }

    /// A BatchNorm and the ReLU after it run as one pass inside a `Sequential`: outputs and every
    /// gradient equal the two layers run one after the other, bit for bit, in train and eval
    /// mode; runs of 1, 13 and 16 values (the eight-lane loops and their tails). A tap on the
    /// batch norm sees its output before the ReLU.
    func testReLUFusedIntoBatchNormEqualsSeparateLayers() throws {
        for (index, shape) in [[6, 3], [4, 3, 1, 13], [5, 2, 4, 4]].enumerated() {
            for training in [true, false] {
                let pair = (0..<2).map { _ -> BatchNorm in
                    shape.count == 2 ? BatchNorm1d(numFeatures: 3) : BatchNorm2d(numFeatures: shape[1])
                }
                for bn in pair {
                    randomizeParameters(bn, seed: 20 + UInt64(index))
                    bn.bias.value.fill(0.05)  // about half the outputs positive in either mode
                    bn.runningMean.fill(0.1)
                }
                let fused = try Sequential([pair[0], ReLU()], inputShape: Array(shape.dropFirst()))
                XCTAssertEqual(fused.host(of: 1), 0)
                let relu = ReLU()
                let x = randomTensor(shape, seed: 30 + UInt64(index))
                let dy = randomTensor(shape, seed: 40 + UInt64(index))
                let y = fused.forward(x, training: training).data
                XCTAssertEqual(y, relu.forward(pair[1].forward(x, training: training), training: training).data)
                XCTAssertTrue(y.contains(0) && y.contains { $0 > 0 }, "the ReLU cuts some values: \(shape)")
                let dx = fused.backward(dy).data
                XCTAssertEqual(dx, pair[1].backward(relu.backward(dy)).data, "\(shape) training \(training)")
                XCTAssertEqual(pair[0].weight.grad.data, pair[1].weight.grad.data)
                XCTAssertEqual(pair[0].bias.grad.data, pair[1].bias.grad.data)
            }
        }
        let bn = BatchNorm2d(numFeatures: 2)
        randomizeParameters(bn, seed: 50)
        let tapped = try Sequential([bn, ReLU()], inputShape: [2, 3, 3])
        let tap = tapped.tap(layer: 0)
        XCTAssertNil(tapped.host(of: 1))
        let x = randomTensor([4, 2, 3, 3], seed: 51)
        _ = tapped.forward(x, training: true)
        XCTAssertTrue(tap.feature?.data.contains { $0 < 0 } == true, "the tap sees the output before the ReLU")
    }

    /// The one-read statistics (per-run sums and squares, combined around the batch mean) keep
    /// the variance of values far from zero: 1000 + u, u in [-0.5, 0.5), against a Double reference.
    func testBatchStatisticsOfOffsetValuesMatchDoubleReference() {
        let bn = BatchNorm2d(numFeatures: 2, momentum: 1)
        let x = randomTensor([8, 2, 5, 5], seed: 60)
        for i in x.data.indices { x.data[i] += 1000 }
        _ = bn.forward(x, training: true)
        for ch in 0..<2 {
            let values = (0..<8).flatMap { i in (0..<25).map { Double(x.data[(i * 2 + ch) * 25 + $0]) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
            XCTAssertEqual(Double(bn.runningMean.data[ch]), mean, accuracy: 1e-4)
            XCTAssertEqual(Double(bn.runningVar.data[ch]), variance, accuracy: 1e-5 * variance)
        }
    }

    func testStateDictEntries() {
        let bn = BatchNorm2d(numFeatures: 5)
        XCTAssertEqual(bn.kind, "BatchNorm2d")
        XCTAssertEqual(BatchNorm1d(numFeatures: 5).kind, "BatchNorm1d")
        XCTAssertEqual(bn.parameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(bn.buffers.map(\.name), ["running_mean", "running_var", "num_batches_tracked"])
        XCTAssertEqual(bn.buffers.map(\.isInteger), [false, false, true])
        XCTAssertEqual(bn.weight.value.data, [1, 1, 1, 1, 1])
        XCTAssertEqual(bn.bias.value.data, [0, 0, 0, 0, 0])
        XCTAssertEqual(bn.runningMean.data, [0, 0, 0, 0, 0])
        XCTAssertEqual(bn.runningVar.data, [1, 1, 1, 1, 1])
        XCTAssertEqual(bn.numBatchesTracked.shape, [])
    }

    /// One value per channel (PyTorch raises): output is beta, running statistics untouched.
    func testSingleValuePerChannelLeavesRunningStatistics() {
        let bn = BatchNorm1d(numFeatures: 2)
        bn.bias.value.data = [0.5, -0.25]
        let y = bn.forward(Tensor(shape: [1, 2], data: [3, -7]), training: true)
        XCTAssertEqual(y.data, [0.5, -0.25])
        XCTAssertEqual(bn.runningMean.data, [0, 0])
        XCTAssertEqual(bn.runningVar.data, [1, 1])
        XCTAssertEqual(bn.numBatchesTracked.data, [0])
    }

    func testShapeErrors() throws {
        XCTAssertEqual(try BatchNorm1d(numFeatures: 4).outputShape(for: [4]), [4])
        XCTAssertEqual(try BatchNorm2d(numFeatures: 4).outputShape(for: [4, 5, 6]), [4, 5, 6])
        assertShapeError(["BatchNorm1d", "[4]", "[5]"]) { try BatchNorm1d(numFeatures: 4).outputShape(for: [5]) }
        assertShapeError(["BatchNorm2d", "[4, H, W]", "[3, 5, 6]"]) {
            try BatchNorm2d(numFeatures: 4).outputShape(for: [3, 5, 6])
        }
        assertShapeError(["BatchNorm2d"]) { try BatchNorm2d(numFeatures: 4).outputShape(for: [4]) }
    }
}
