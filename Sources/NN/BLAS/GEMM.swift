import CBLAS

/// Whether a GEMM operand is used as stored or transposed (row-major storage throughout).
public enum Transpose: Sendable {
    case none
    case transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Single-precision matrix product through BLAS, row-major:
/// `C[m, n] = alpha * op(A)[m, k] * op(B)[k, n] + beta * C[m, n]`.
///
/// `op(X)` is X or its transpose as the flag says; the transpose is never materialised.
/// `lda`/`ldb`/`ldc` are the row strides of A, B and C as stored (A stored as [m, k] when not
/// transposed and as [k, m] when transposed, likewise B). This is the only place that calls BLAS.
@inline(__always)
public func sgemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(
        CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
