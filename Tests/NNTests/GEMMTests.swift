import NN
import TestSupport
import XCTest

/// BLAS sgemm against the naive oracle for every transpose combination and odd sizes: one-row
/// and one-column products (sgemv), and products large enough to be split over the cores by
/// columns (n >= m) or by rows, with and without padded row strides.
final class GEMMTests: XCTestCase {
    func testAllTransposeCasesMatchNaive() {
        var rng = SplitMix64(seed: 7)
        let sizes = [
            (1, 1, 1), (3, 5, 7), (17, 1, 33), (1, 300, 97), (64, 65, 63), (128, 10, 784),
            (70, 300, 40), (300, 70, 41),
        ]
        for (m, n, k) in sizes {
            for pad in [0, 3] {
                for transA in [Transpose.none, .transposed] {
                    for transB in [Transpose.none, .transposed] {
                        for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1.5)] {
                            let lda = (transA == .none ? k : m) + pad
                            let ldb = (transB == .none ? n : k) + pad
                            let ldc = n + pad
                            let a = (0..<((transA == .none ? m : k) * lda)).map { _ in rng.uniform(-1, 1) }
                            let b = (0..<((transB == .none ? k : n) * ldb)).map { _ in rng.uniform(-1, 1) }
                            let c0 = (0..<(m * ldc)).map { _ in rng.uniform(-1, 1) }
                            var fast = c0
                            var slow = c0
                            sgemm(
                                transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                                beta: beta, c: &fast, ldc: ldc)
                            naiveSgemm(
                                transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                                ldb: ldb, beta: beta, c: &slow, ldc: ldc)
                            let diff = differences(fast, slow)
                            XCTAssertLessThan(
                                diff.maxRel, 1e-5, "m\(m) n\(n) k\(k) pad \(pad) \(transA) \(transB) a\(alpha) b\(beta)"
                            )
                        }
                    }
                }
            }
        }
    }

    func testKnownProduct() {
        // [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]]
        let a: [Float] = [1, 2, 3, 4]
        let b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: 0, count: 4)
        sgemm(.none, .none, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [19, 22, 43, 50])
        sgemm(.transposed, .none, m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [26, 30, 38, 44])
    }
}
