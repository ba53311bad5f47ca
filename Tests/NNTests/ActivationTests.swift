import NN
import TestSupport
import XCTest

/// ReLU, Flatten and Dropout.
final class ActivationTests: XCTestCase {
    func testReLUMatchesPyTorch() throws {
        let fixture = try assertLayerMatchesFixture(ReLU(), "layer_relu", label: "relu")
        XCTAssertTrue(try fixture.tensor("x").data.contains(0), "the fixture must hold exact zeros")
    }

    func testFlattenMatchesPyTorch() throws {
        let flatten = Flatten()
        try assertLayerMatchesFixture(flatten, "layer_flatten", label: "flatten")
        XCTAssertEqual(try flatten.outputShape(for: [3, 4, 5]), [60])
        assertShapeError(["Flatten"]) { try flatten.outputShape(for: []) }
    }

    func testDropoutEvalIsTheIdentity() throws {
        let dropout = Dropout(p: 0.5, rng: SplitMix64(seed: 1))
        let state = dropout.rng.state
        try assertLayerMatchesFixture(dropout, "layer_dropout_eval", training: false, label: "dropout eval")
        XCTAssertEqual(dropout.rng.state, state, "eval draws nothing")
    }

    func testDropoutTrainDropsAtRatePAndScalesTheRest() {
        let p: Float = 0.3
        let dropout = Dropout(p: p, rng: SplitMix64(seed: 42))
        let x = Tensor(shape: [100, 1000], value: 2)
        let y = dropout.forward(x, training: true).clone()
        let dropped = y.data.filter { $0 == 0 }.count
        // 1e5 Bernoulli(0.3) draws: standard deviation 0.0014, so +-0.01 is 7 sigma.
        XCTAssertEqual(Double(dropped) / Double(y.count), Double(p), accuracy: 0.01)
        let kept = Set(y.data.filter { $0 != 0 })
        XCTAssertEqual(kept.count, 1)
        XCTAssertEqual(kept.first ?? 0, 2 / 0.7, accuracy: 1e-6)
        // The mean is kept in expectation.
        XCTAssertEqual(Double(y.data.reduce(0, +)) / Double(y.count), 2, accuracy: 0.05)
        // Backward applies the same mask.
        let dx = dropout.backward(Tensor(shape: [100, 1000], value: 1))
        XCTAssertEqual(dx.data.map { $0 == 0 }, y.data.map { $0 == 0 })
        XCTAssertEqual(dx.data.first { $0 != 0 } ?? 0, 1 / 0.7, accuracy: 1e-6)
    }

    func testDropoutMaskFollowsItsGenerator() {
        let x = randomTensor([4, 50], seed: 3)
        let a = Dropout(p: 0.5, rng: SplitMix64(seed: 7))
        let b = Dropout(p: 0.5, rng: SplitMix64(seed: 7))
        let c = Dropout(p: 0.5, rng: SplitMix64(seed: 8))
        let saved = a.rng
        let ya = a.forward(x, training: true).clone()
        XCTAssertEqual(ya.data, b.forward(x, training: true).data, "same seed, same mask")
        XCTAssertNotEqual(ya.data, c.forward(x, training: true).data, "other seed, other mask")
        XCTAssertNotEqual(ya.data, a.forward(x, training: true).data, "the next step draws a new mask")
        a.rng = saved
        XCTAssertEqual(ya.data, a.forward(x, training: true).data, "restored state replays the mask")
    }

    /// Element i keeps its value (times 1/(1-p)) exactly when the generator's (i+1)-th
    /// `nextUnit()` is >= p, in runs long enough for the 8-lane loop and its tail (13 and 1000
    /// elements per sample); a rank of a sharded batch gets the draws of its global samples
    /// (rank 1 of 3: samples 1, 4, 7), and every rank's generator moves past the whole batch.
    func testDropoutMaskIsTheSequentialDrawsOfItsGenerator() {
        for (perSample, shard) in [(13, nil), (1000, nil), (13, BatchShard(rank: 1, size: 3, globalBatch: 9))] {
            let (p, seed): (Float, UInt64) = (0.3, 11)
            let batch = shard.map { $0.globalBatch / $0.size } ?? 6
            let dropout = Dropout(p: p, rng: SplitMix64(seed: seed))
            dropout.shard = shard
            let x = randomTensor([batch, perSample], seed: 5)
            let y = dropout.forward(x, training: true).data
            var reference = SplitMix64(seed: seed)
            let globalBatch = shard?.globalBatch ?? batch
            let draws = (0..<(globalBatch * perSample)).map { _ in reference.nextUnit() }
            let expected = (0..<y.count).map { i -> Float in
                let (sample, offset) = i.quotientAndRemainder(dividingBy: perSample)
                let global = shard.map { $0.rank + sample * $0.size } ?? sample
                return x.data[i] * (draws[global * perSample + offset] >= p ? 1 / (1 - p) : 0)
            }
            XCTAssertEqual(y, expected, "\(perSample) per sample, shard \(String(describing: shard))")
            XCTAssertEqual(dropout.rng.state, reference.state, "the generator moves past the whole batch")
        }
    }

    func testDropoutWithZeroProbabilityKeepsEverything() {
        let x = randomTensor([3, 5], seed: 4)
        XCTAssertEqual(Dropout(p: 0, rng: SplitMix64(seed: 1)).forward(x, training: true).data, x.data)
    }

    func testShapesAndFlops() throws {
        XCTAssertEqual(try ReLU().outputShape(for: [8, 5, 5]), [8, 5, 5])
        XCTAssertEqual(ReLU().flops(for: [8, 5, 5]), 200)
        XCTAssertEqual(try Dropout(p: 0.2, rng: SplitMix64(seed: 1)).outputShape(for: [10]), [10])
        XCTAssertEqual(Flatten().flops(for: [8, 5, 5]), 0)
    }
}
