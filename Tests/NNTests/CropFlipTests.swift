import XCTest

@testable import NN

/// Random translation and flip (`CropFlip`) against their definitions: zero-pad by P, crop at
/// offset (oy, ox) in [0, 2P], mirror the columns; the bits of a sample depend only on its key
/// and index, not on how the batch is split over the threads.
final class CropFlipTests: XCTestCase {
    private let key = AugmentKey(seed: 7, phase: 3, epoch: 2)

    /// A [B, C, H, W] batch of distinct values.
    private func batch(_ b: Int, _ c: Int, _ h: Int, _ w: Int) -> Tensor {
        let x = Tensor(shape: [b, c, h, w])
        for i in x.data.indices { x.data[i] = Float(i + 1) }
        return x
    }

    /// The definition, written out: pad, crop, flip, on a copy.
    private func reference(_ x: Tensor, _ augment: CropFlip, indices: [Int]) -> [Float] {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let p = augment.padding
        var out = [Float](repeating: 0, count: x.count)
        for k in 0..<b {
            let (dy, dx, flip) = augment.draw(key, sample: indices[k])
            let (oy, ox) = (dy + p, dx + p)
            for ch in 0..<c {
                let base = (k * c + ch) * h * w
                var padded = [Float](repeating: 0, count: (h + 2 * p) * (w + 2 * p))
                for r in 0..<h {
                    for q in 0..<w { padded[(r + p) * (w + 2 * p) + q + p] = x.data[base + r * w + q] }
                }
                for r in 0..<h {
                    for q in 0..<w {
                        let cropped = padded[(r + oy) * (w + 2 * p) + (flip ? w - 1 - q : q) + ox]
                        out[base + r * w + q] = cropped
                    }
                }
            }
        }
        return out
    }

    func testMatchesTheDefinitionOnEverySample() {
        let augment = CropFlip(padding: 2, cropProbability: 1, flipProbability: 0.5)
        let x = batch(80, 2, 5, 6)
        let indices = (0..<80).map { 1000 + 3 * $0 }
        let expected = reference(x, augment, indices: indices)
        augment.apply(to: x, indices: indices, key: key)
        XCTAssertEqual(x.data, expected)
    }

    func testOffsetsCoverTheRangeAndFlipsFollowTheProbability() {
        let augment = CropFlip(padding: 3, cropProbability: 1, flipProbability: 0.5)
        var seen = Set<Int>()
        var flips = 0
        for i in 0..<4000 {
            let (dy, dx, flip) = augment.draw(key, sample: i)
            XCTAssertTrue((-3...3).contains(dy) && (-3...3).contains(dx))
            seen.insert(dy)
            seen.insert(dx)
            if flip { flips += 1 }
        }
        XCTAssertEqual(seen, Set(-3...3))
        XCTAssertEqual(Double(flips) / 4000, 0.5, accuracy: 0.03)
        let never = CropFlip(padding: 3, cropProbability: 0, flipProbability: 0)
        for i in 0..<100 { XCTAssertTrue(never.draw(key, sample: i) == (0, 0, false)) }
    }

    func testAKnownShiftAndFlip() {
        // One 1 x 3 x 3 image; find a sample drawing (dy, dx) = (1, -1) with a flip.
        let augment = CropFlip(padding: 1, cropProbability: 1, flipProbability: 0.5)
        let sample = (0..<10_000).first { augment.draw(key, sample: $0) == (1, -1, true) }!
        let x = Tensor(shape: [1, 1, 3, 3], data: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        augment.apply(to: x, indices: [sample], key: key)
        // cropped[r][q] = x[r + 1][q - 1] = [[0, 4, 5], [0, 7, 8], [0, 0, 0]], then mirrored.
        XCTAssertEqual(x.data, [5, 4, 0, 8, 7, 0, 0, 0, 0])
    }

    func testBitsDoNotDependOnTheSplitOrTheBatch() {
        let augment = CropFlip(padding: 4, cropProbability: 0.8, flipProbability: 0.5)
        let whole = batch(256, 1, 28, 28)
        let indices = (0..<256).map { ($0 * 7919) % 60_000 }
        let jobsBefore = Parallel.dispatchedJobs
        augment.apply(to: whole, indices: indices, key: key)
        if Parallel.cores > 1 { XCTAssertGreaterThan(Parallel.dispatchedJobs - jobsBefore, 0) }
        let one = batch(256, 1, 28, 28)
        for k in 0..<256 {
            let sample = Tensor(shape: [1, 1, 28, 28], data: Array(one.data[(k * 784)..<((k + 1) * 784)]))
            augment.apply(to: sample, indices: [indices[k]], key: key)
            XCTAssertEqual(sample.data, Array(whole.data[(k * 784)..<((k + 1) * 784)]), "sample \(k)")
        }
        var other = key
        other.epoch += 1
        XCTAssertFalse((0..<256).allSatisfy { augment.draw(key, sample: $0) == augment.draw(other, sample: $0) })
    }
}
