import TestSupport
import XCTest

@testable import NN

/// Mixup and cutmix (`MixPairs`), their Beta sampler and the mixed cross-entropy: the weights'
/// moments, the kernel against its definition written out on copies, the partners and weights
/// it reports, and bits that do not depend on how the batch is split over the threads.
final class MixPairsTests: XCTestCase {
    private let key = AugmentKey(seed: 7, phase: 3, epoch: 2)

    /// A [B, C, H, W] batch of distinct values.
    private func batch(_ b: Int, _ c: Int, _ h: Int, _ w: Int) -> Tensor {
        let x = Tensor(shape: [b, c, h, w])
        for i in x.data.indices { x.data[i] = Float(i + 1) / 7 }
        return x
    }

    /// The definition on a copy of the originals: sample k mixed with B - 1 - k.
    private func reference(_ x: Tensor, _ mix: MixPairs, indices: [Int]) -> (x: [Float], lambdas: [Float]) {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let size = c * h * w
        var out = x.data
        var lambdas = [Float](repeating: 1, count: b)
        for k in 0..<b where k != b - 1 - k {
            let j = b - 1 - k
            let d = mix.draw(key, sample: indices[k], height: h, width: w)
            lambdas[k] = d.lambda
            for ch in 0..<c {
                for r in 0..<h {
                    for q in 0..<w {
                        let i = ch * h * w + r * w + q
                        let (a, p) = (x.data[k * size + i], x.data[j * size + i])
                        if d.cut {
                            let inBox = r >= d.y0 && r < d.y1 && q >= d.x0 && q < d.x1
                            out[k * size + i] = inBox ? p : a
                        } else if d.lambda != 1 {
                            out[k * size + i] = d.lambda * a + (1 - d.lambda) * p
                        }
                    }
                }
            }
        }
        return (out, lambdas)
    }

    private func run(_ mix: MixPairs, _ x: Tensor, indices: [Int], labels: [Int32]) -> ([Int32], [Float]) {
        var partners = [Int32](repeating: -1, count: indices.count)
        var lambdas = [Float](repeating: -1, count: indices.count)
        mix.apply(to: x, indices: indices, labels: labels, key: key, partnerLabels: &partners, lambdas: &lambdas)
        return (partners, lambdas)
    }

    // MARK: Beta

    func testBetaMomentsMatchBetaOfAlphaAlpha() {
        let n = 40_000
        for alpha in [0.1, 0.2, 0.8, 1, 2, 10] {
            var draws = [Double]()
            for i in 0..<n {
                var g = key.generator(sample: i, stream: 99)
                let v = BetaSampler.beta(alpha, alpha, &g)
                XCTAssertTrue((0...1).contains(v), "alpha \(alpha): \(v)")
                draws.append(v)
            }
            let mean = draws.reduce(0, +) / Double(n)
            let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
            let sigma2 = 1 / (4 * (2 * alpha + 1))
            // Beta(a, a): excess kurtosis -6 / (2a + 3), so Var(s^2) ~ sigma^4 (2 - 6 / (2a + 3)) / n.
            let meanBound = 5 * (sigma2 / Double(n)).squareRoot()
            let varianceBound = 5 * sigma2 * ((2 - 6 / (2 * alpha + 3)) / Double(n)).squareRoot()
            print("[beta] alpha \(alpha): mean \(mean), variance \(variance) (expected \(sigma2))")
            XCTAssertEqual(mean, 0.5, accuracy: meanBound, "alpha \(alpha) mean")
            XCTAssertEqual(variance, sigma2, accuracy: varianceBound, "alpha \(alpha) variance")
        }
    }

    func testGammaMeanIsItsShapeAndDrawsAreDeterministic() {
        for shape in [0.3, 1.0, 4.0] {
            let n = 20_000
            var sum = 0.0
            for i in 0..<n {
                var g = key.generator(sample: i, stream: 5)
                sum += exp(BetaSampler.logGamma(shape: shape, &g))
            }
            // Gamma(a, 1): mean a, variance a.
            XCTAssertEqual(sum / Double(n), shape, accuracy: 5 * (shape / Double(n)).squareRoot(), "shape \(shape)")
        }
        var g1 = key.generator(sample: 3, stream: MixPairs.stream)
        var g2 = key.generator(sample: 3, stream: MixPairs.stream)
        XCTAssertEqual(BetaSampler.beta(0.2, 0.2, &g1), BetaSampler.beta(0.2, 0.2, &g2))
        XCTAssertEqual(g1.state, g2.state)
        let mix = MixPairs(mixup: .init(alpha: 0.4), cutmix: .init(alpha: 1))
        XCTAssertEqual(mix.draw(key, sample: 11, height: 8, width: 8), mix.draw(key, sample: 11, height: 8, width: 8))
        // The mixing stream is not crop/flip's.
        var cropStream = key.generator(sample: 11)
        var mixStream = key.generator(sample: 11, stream: MixPairs.stream)
        XCTAssertNotEqual(cropStream.next(), mixStream.next())
    }

    // MARK: the kernel

    func testMixupOfATinyBatchByHand() {
        let mix = MixPairs(mixup: .init(alpha: 1))
        let x = Tensor(shape: [3, 1, 1, 2], data: [1, 2, 10, 20, 100, 200])
        let indices = [4, 5, 6]
        let (partners, lambdas) = run(mix, x, indices: indices, labels: [7, 8, 9])
        let l0 = mix.draw(key, sample: 4, height: 1, width: 2).lambda
        let l2 = mix.draw(key, sample: 6, height: 1, width: 2).lambda
        XCTAssertEqual(partners, [9, 8, 7])
        XCTAssertEqual(lambdas, [l0, 1, l2])
        XCTAssertTrue(l0 > 0 && l0 < 1 && l2 > 0 && l2 < 1)
        XCTAssertEqual(x.data[0], l0 * 1 + (1 - l0) * 100, accuracy: 1e-5)
        XCTAssertEqual(x.data[1], l0 * 2 + (1 - l0) * 200, accuracy: 1e-5)
        XCTAssertEqual(Array(x.data[2...3]), [10, 20], "the middle sample is its own partner")
        XCTAssertEqual(x.data[4], l2 * 100 + (1 - l2) * 1, accuracy: 1e-4)
        XCTAssertEqual(x.data[5], l2 * 200 + (1 - l2) * 2, accuracy: 1e-4)
    }

    func testCutmixOfATinyBatchByHand() {
        let mix = MixPairs(cutmix: .init(alpha: 1))
        // A sample whose box is not empty, and one staying unmixed (p = 1, so a box of area 0).
        let (h, w) = (4, 4)
        let sample = (0..<10_000).first {
            let d = mix.draw(key, sample: $0, height: h, width: w)
            return d.y1 - d.y0 == 2 && d.x1 - d.x0 == 2
        }!
        let d = mix.draw(key, sample: sample, height: h, width: w)
        XCTAssertTrue(d.cut)
        XCTAssertEqual(d.lambda, 1 - 4.0 / 16)
        let x = Tensor(shape: [2, 1, h, w], data: (0..<16).map(Float.init) + (0..<16).map { Float(100 + $0) })
        let partnerDraw = mix.draw(key, sample: 999_999, height: h, width: w)
        let (partners, lambdas) = run(mix, x, indices: [sample, 999_999], labels: [1, 2])
        XCTAssertEqual(partners, [2, 1])
        XCTAssertEqual(lambdas, [0.75, partnerDraw.lambda])
        for r in 0..<h {
            for q in 0..<w {
                let inBox = r >= d.y0 && r < d.y1 && q >= d.x0 && q < d.x1
                XCTAssertEqual(x.data[r * w + q], Float((inBox ? 100 : 0) + r * w + q), "(\(r), \(q))")
                let inPartnerBox =
                    r >= partnerDraw.y0 && r < partnerDraw.y1 && q >= partnerDraw.x0 && q < partnerDraw.x1
                XCTAssertEqual(x.data[16 + r * w + q], Float((inPartnerBox ? 0 : 100) + r * w + q), "(\(r), \(q))")
            }
        }
    }

    func testCutmixBoxesFollowTimmsRandBbox() {
        let mix = MixPairs(cutmix: .init(alpha: 1))
        for i in 0..<2000 {
            let d = mix.draw(key, sample: i, height: 28, width: 20)
            XCTAssertTrue(d.cut)
            XCTAssertTrue(0 <= d.y0 && d.y0 <= d.y1 && d.y1 <= 28 && 0 <= d.x0 && d.x0 <= d.x1 && d.x1 <= 20)
            XCTAssertEqual(d.lambda, Float(1 - Double((d.y1 - d.y0) * (d.x1 - d.x0)) / 560), "sample \(i)")
            // Unclipped, the box is 2 * (Int(H * sqrt(1 - lam)) / 2) rows: never more than H.
            XCTAssertLessThanOrEqual(d.y1 - d.y0, 28)
        }
        let never = MixPairs(mixup: .init(alpha: 1, p: 0), cutmix: .init(alpha: 1, p: 0))
        for i in 0..<100 { XCTAssertEqual(never.draw(key, sample: i, height: 5, width: 5).lambda, 1) }
    }

    func testBothModesMatchTheDefinitionAndSwitchHalfTheTime() {
        let mix = MixPairs(mixup: .init(alpha: 0.4, p: 0.8), cutmix: .init(alpha: 1, p: 0.9))
        for b in [1, 2, 5, 64] {
            let x = batch(b, 2, 6, 5)
            let indices = (0..<b).map { 31 * $0 + 1 }
            let labels = (0..<b).map { Int32($0 % 10) }
            let expected = reference(x, mix, indices: indices)
            let (partners, lambdas) = run(mix, x, indices: indices, labels: labels)
            XCTAssertEqual(x.data, expected.x, "batch \(b)")
            XCTAssertEqual(lambdas, expected.lambdas, "batch \(b)")
            XCTAssertEqual(partners, labels.reversed(), "batch \(b)")
        }
        var cuts = 0
        for i in 0..<4000 where mix.draw(key, sample: i, height: 8, width: 8).cut { cuts += 1 }
        // Cutmix for half the samples, applied to 0.9 of those.
        XCTAssertEqual(Double(cuts) / 4000, 0.45, accuracy: 0.03)
    }

    /// A batch of 256 (split over the cores) equals each pair done alone on one thread.
    func testBitsDoNotDependOnTheSplit() {
        let mix = MixPairs(mixup: .init(alpha: 0.2), cutmix: .init(alpha: 1))
        let (b, size) = (256, 784)
        let whole = batch(b, 1, 28, 28)
        let indices = (0..<b).map { ($0 * 7919) % 60_000 }
        let labels = (0..<b).map { Int32($0 % 10) }
        let jobsBefore = Parallel.dispatchedJobs
        let (_, lambdas) = run(mix, whole, indices: indices, labels: labels)
        if Parallel.cores > 1 { XCTAssertGreaterThan(Parallel.dispatchedJobs - jobsBefore, 0) }
        let one = batch(b, 1, 28, 28)
        for k in 0..<(b / 2) {
            let j = b - 1 - k
            let pair = Tensor(
                shape: [2, 1, 28, 28],
                data: Array(one.data[(k * size)..<((k + 1) * size)]) + Array(one.data[(j * size)..<((j + 1) * size)]))
            let (_, pairLambdas) = run(mix, pair, indices: [indices[k], indices[j]], labels: [labels[k], labels[j]])
            XCTAssertEqual(Array(pair.data[0..<size]), Array(whole.data[(k * size)..<((k + 1) * size)]), "sample \(k)")
            XCTAssertEqual(Array(pair.data[size...]), Array(whole.data[(j * size)..<((j + 1) * size)]), "sample \(j)")
            XCTAssertEqual(pairLambdas, [lambdas[k], lambdas[j]])
        }
    }

    // MARK: mixed cross-entropy

    func testMixedCrossEntropyMatchesPyTorch() throws {
        let fixture = try Fixture("mixed_ce")
        let s = try fixture.tensor("s")
        let labels = try fixture.ints("y").map { Int32($0) }
        let mix = LabelMix(
            partnerLabels: try fixture.ints("y_partner").map { Int32($0) }, lambdas: try fixture.tensor("lam").data)
        let gradient = Tensor(shape: [1])
        for (smoothing, name) in [(Float(0), "0"), (0.1, "0.1")] {
            let key = "mixed_ce_ls\(name)"
            let loss = mixedCrossEntropy(
                logits: s, labels: labels, mix: mix, labelSmoothing: smoothing, gradient: gradient)
            assertMatches([loss], try fixture.tensor(key).data, "mixedCrossEntropy \(key)")
            assertMatches(gradient, try fixture.tensor(key + "_grad"), "mixedCrossEntropy \(key) grad")
        }
        // Every weight 1: plain cross-entropy, bit for bit.
        let ones = LabelMix(partnerLabels: mix.partnerLabels, lambdas: [Float](repeating: 1, count: labels.count))
        let plain = Tensor(shape: [1])
        XCTAssertEqual(
            mixedCrossEntropy(logits: s, labels: labels, mix: ones, labelSmoothing: 0.1, gradient: gradient),
            crossEntropy(logits: s, labels: labels, labelSmoothing: 0.1, gradient: plain))
        XCTAssertEqual(gradient.data, plain.data)
    }
}
