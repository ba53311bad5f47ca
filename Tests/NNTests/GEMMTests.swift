import NN
import TestSupport
import XCTest

/// BLAS sgemm against the naive oracle for every transpose combination and odd sizes.
final class GEMMTests: XCTestCase {
    func testAllTransposeCasesMatchNaive() {
        var rng = SplitMix64(seed: 7)
        let sizes = [(1, 1, 1), (3, 5, 7), (17, 1, 33), (64, 65, 63), (128, 10, 784)]
        for (m, n, k) in sizes {
            for transA in [Transpose.none, .transposed] {
                for transB in [Transpose.none, .transposed] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1.5)] {
                        let a = (0..<(m * k)).map { _ in rng.uniform(-1, 1) }
                        let b = (0..<(k * n)).map { _ in rng.uniform(-1, 1) }
                        let c0 = (0..<(m * n)).map { _ in rng.uniform(-1, 1) }
                        let lda = transA == .none ? k : m
                        let ldb = transB == .none ? n : k
                        var fast = c0
                        var slow = c0
                        sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                              beta: beta, c: &fast, ldc: n)
                        naiveSgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
                                   ldb: ldb, beta: beta, c: &slow, ldc: n)
                        let diff = differences(fast, slow)
                        XCTAssertLessThan(diff.maxRel, 1e-5, "m\(m) n\(n) k\(k) \(transA) \(transB) a\(alpha) b\(beta)")
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
