import CLAPACKE

/// Fills `weight` ([rows, ...], flattened to [rows, cols] with cols = fan_in) with a (semi-)
/// orthogonal matrix as `torch.nn.init.orthogonal_` (gain 1): W·Wᵀ = I when rows ≤ cols,
/// Wᵀ·W = I otherwise.
///
/// Draws A [max, min] (max/min of rows and cols) from N(0, 1), factors A = QR by Householder QR
/// (`LAPACKE_sgeqrf` + `LAPACKE_sorgqr`), multiplies column j of Q by sign(R_jj) so the result
/// is uniformly distributed (Haar), and stores Q, transposed when rows < cols.
/// - Throws: `WeightInitError` naming the LAPACK routine and its `info` when a factorisation fails.
func fillOrthogonal(_ weight: Tensor, rng: inout SplitMix64) throws {
    let rows = weight.batch
    let cols = weight.featuresPerItem
    let m = max(rows, cols)
    let n = min(rows, cols)
    guard n > 0 else { return }
    var q = (0..<(m * n)).map { _ in rng.normal() }
    var tau = [Float](repeating: 0, count: n)
    var signs = [Float](repeating: 1, count: n)
    try q.withUnsafeMutableBufferPointer { a in
        try tau.withUnsafeMutableBufferPointer { tau in
            let info = LAPACKE_sgeqrf(LAPACK_ROW_MAJOR, Int32(m), Int32(n), a.baseAddress, Int32(n), tau.baseAddress)
            guard info == 0 else { throw WeightInitError("LAPACKE_sgeqrf on a \(m)x\(n) matrix returned info \(info)") }
            // R is the upper triangle left in `a`; sign(0) is taken as +1 (probability zero).
            for j in 0..<n where a[j * n + j] < 0 { signs[j] = -1 }
            let info2 = LAPACKE_sorgqr(
                LAPACK_ROW_MAJOR, Int32(m), Int32(n), Int32(n), a.baseAddress, Int32(n), tau.baseAddress)
            guard info2 == 0 else {
                throw WeightInitError("LAPACKE_sorgqr on a \(m)x\(n) matrix returned info \(info2)")
            }
        }
    }
    weight.data.withUnsafeMutableBufferPointer { w in
        for i in 0..<m {
            for j in 0..<n {
                let value = q[i * n + j] * signs[j]
                // Q is [m, n]: W = Q when rows >= cols, W = Qᵀ ([n, m]) when rows < cols.
                w[rows >= cols ? i * n + j : j * m + i] = value
            }
        }
    }
}
