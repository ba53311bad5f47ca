import XCTest

@testable import NN

/// im2col (and its "same"-window fast path) and col2im against their definitions.
final class Im2colTests: XCTestCase {
    /// Row (c, ki, kj), column (oh, ow) = x[c, oh*s - p + ki, ow*s - p + kj], 0 in the padding.
    private func reference(_ x: [Float], _ g: Window2d) -> [Float] {
        var out = [Float](repeating: 0, count: g.patchSize * g.outputPlane)
        for c in 0..<g.channels {
            for ki in 0..<g.kernel {
                for kj in 0..<g.kernel {
                    let row = (c * g.kernel + ki) * g.kernel + kj
                    for oh in 0..<g.outHeight {
                        for ow in 0..<g.outWidth {
                            let (ih, iw) = (oh * g.stride - g.padding + ki, ow * g.stride - g.padding + kj)
                            guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                            out[row * g.outputPlane + oh * g.outWidth + ow] = x[(c * g.height + ih) * g.width + iw]
                        }
                    }
                }
            }
        }
        return out
    }

    func testUnfoldAndFoldMatchTheirDefinitions() throws {
        // Same windows (k = 2p + 1, stride 1: the fast path), then strided and unpadded ones.
        let cases = [(3, 1, 1), (5, 2, 1), (1, 0, 1), (3, 0, 1), (3, 1, 2), (2, 0, 2), (4, 1, 1)]
        for (k, p, s) in cases {
            let g = try Window2d("test", inputShape: [2, 5, 7], kernel: k, stride: s, padding: p)
            var rng = SplitMix64(seed: UInt64(k * 10 + p))
            let x = (0..<g.inputCount).map { _ in rng.uniform(-1, 1) }
            let expected = reference(x, g)
            // Poisoned output: every element must be written.
            var col = [Float](repeating: .nan, count: expected.count)
            x.withUnsafeBufferPointer { xp in
                col.withUnsafeMutableBufferPointer {
                    im2col(xp.baseAddress!, g, col: $0.baseAddress!, ldCol: g.outputPlane)
                }
            }
            XCTAssertEqual(col, expected, "im2col k\(k) p\(p) s\(s)")

            // col2im is the adjoint: <im2col(x), y> == <x, col2im(y)>.
            let y = (0..<expected.count).map { _ in rng.uniform(-1, 1) }
            var scratch = y
            var folded = [Float](repeating: 0, count: g.inputCount)
            scratch.withUnsafeMutableBufferPointer { yp in
                folded.withUnsafeMutableBufferPointer {
                    col2im(yp.baseAddress!, g, ldCol: g.outputPlane, image: $0.baseAddress!)
                }
            }
            let left = zip(expected, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let right = zip(x, folded).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertEqual(left, right, accuracy: 1e-4, "col2im adjoint k\(k) p\(p) s\(s)")
        }
    }
}
