import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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

/// The BLAS library's own thread pool, when it is OpenBLAS.
///
/// `openblas_set_num_threads` / `openblas_get_num_threads` are not in cblas.h and the reference
/// BLAS lacks them, so they are looked up at run time; with another BLAS, `count` is nil and
/// `set` does nothing. The engine runs its own elementwise work on the same cores between
/// sgemm calls, so the count matters: `Conv2d` makes its sgemm calls from both cores at once
/// inside `singleThreaded`.
public enum BLASThreads {
    private typealias SetFunction = @convention(c) (Int32) -> Void
    private typealias GetFunction = @convention(c) () -> Int32

    private static let handle = dlopen(nil, RTLD_NOW)
    private static let setter: SetFunction? = handle.flatMap { dlsym($0, "openblas_set_num_threads") }
        .map { unsafeBitCast($0, to: SetFunction.self) }
    private static let getter: GetFunction? = handle.flatMap { dlsym($0, "openblas_get_num_threads") }
        .map { unsafeBitCast($0, to: GetFunction.self) }

    /// OpenBLAS's current thread count, or nil when the BLAS is not OpenBLAS.
    public static var count: Int? { getter.map { Int($0()) } }

    /// Runs `body` with OpenBLAS on one thread, then restores its count: for sgemm calls that
    /// the engine's own threads make at the same time (each on its own core).
    @inline(__always)
    public static func singleThreaded<R>(_ body: () -> R) -> R {
        guard let previous = count, previous > 1 else { return body() }
        set(1)
        defer { set(previous) }
        return body()
    }

    /// Sets OpenBLAS's thread count (no effect with another BLAS); returns whether it could.
    @discardableResult
    public static func set(_ threads: Int) -> Bool {
        guard let setter else { return false }
        setter(Int32(max(1, threads)))
        return true
    }
}
