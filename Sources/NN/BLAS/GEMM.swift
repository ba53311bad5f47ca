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
/// A one-row or one-column C goes to sgemv (see `matrixVectorProduct`).
///
/// BLAS runs on one thread (`BLASThreads`); a product large enough to pay for a second thread
/// is cut into column blocks of C (or row blocks, when C is taller than wide), one per core,
/// each a single-threaded sgemm of its own. Called from a thread that already runs a parallel
/// job (a convolution's per-sample products), it runs there, whole.
@inline(__always)
public func sgemm(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard m > 0, n > 0 else { return }
    _ = BLASThreads.singleThreadedBLAS
    if k > 0, m == 1 || n == 1 {
        return matrixVectorProduct(
            transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
            beta: beta, c: c, ldc: ldc)
    }
    let product = BLASProduct(
        transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
        b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
    guard m * n * k >= BLASProduct.parallelWork, !BLASThreads.blasThreaded else {
        return product.run(rows: 0..<m, columns: 0..<n)
    }
    if n >= m {
        Parallel.forRanges(
            n, minimumPerThread: BLASProduct.minimumBlock, align: BLASProduct.blockAlign,
            product.columnBlocks)
    } else {
        Parallel.forRanges(
            m, minimumPerThread: BLASProduct.minimumBlock, align: BLASProduct.blockAlign,
            product.rowBlocks)
    }
}

/// `sgemm` when C is one row or one column: the same product as one sgemv, which reads the
/// matrix operand once where sgemm would first copy it into packed panels (at batch 1 that copy
/// is most of the work).
///
/// - m == 1: C[0, :] = alpha * op(B)^T * op(A)[0, :] + beta * C[0, :].
/// - n == 1: C[:, 0] = alpha * op(A) * op(B)[:, 0] + beta * C[:, 0].
private func matrixVectorProduct(
    _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
    alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    if m == 1 {
        // op(B) is [k, n]: stored [k, n] (use it transposed) or [n, k] (use it as stored).
        let (rows, columns) = transB == .none ? (k, n) : (n, k)
        let flip: Transpose = transB == .none ? .transposed : .none
        cblas_sgemv(
            CblasRowMajor, flip.cblas, Int32(rows), Int32(columns), alpha, b, Int32(ldb),
            a, Int32(transA == .none ? 1 : lda), beta, c, 1)
    } else {
        // op(A) is [m, k]: stored [m, k] or [k, m].
        let (rows, columns) = transA == .none ? (m, k) : (k, m)
        cblas_sgemv(
            CblasRowMajor, transA.cblas, Int32(rows), Int32(columns), alpha, a, Int32(lda),
            b, Int32(transB == .none ? ldb : 1), beta, c, Int32(ldc))
    }
}

/// One sgemm call's arguments, and the call on a block of C's rows and columns.
struct BLASProduct {
    /// m*n*k below which a product stays on one thread (about 1 MFLOP: ~15 us on one core here,
    /// against a few microseconds to wake the other).
    static let parallelWork = 1 << 19
    /// Rows or columns per block: at least this many, starting at multiples of `blockAlign`
    /// (OpenBLAS's sgemm kernels work on 16 x 4 or 16 x 8 tiles).
    static let minimumBlock = 32
    static let blockAlign = 16

    let transA: Transpose
    let transB: Transpose
    let m: Int
    let n: Int
    let k: Int
    let alpha: Float
    let a: UnsafePointer<Float>
    let lda: Int
    let b: UnsafePointer<Float>
    let ldb: Int
    let beta: Float
    let c: UnsafeMutablePointer<Float>
    let ldc: Int

    /// C[rows, columns] = alpha * op(A)[rows, :] * op(B)[:, columns] + beta * C[rows, columns].
    @inline(__always)
    func run(rows: Range<Int>, columns: Range<Int>) {
        let aBlock = transA == .none ? a + rows.lowerBound * lda : a + rows.lowerBound
        let bBlock = transB == .none ? b + columns.lowerBound : b + columns.lowerBound * ldb
        cblas_sgemm(
            CblasRowMajor, transA.cblas, transB.cblas, Int32(rows.count), Int32(columns.count), Int32(k),
            alpha, aBlock, Int32(lda), bBlock, Int32(ldb), beta, c + rows.lowerBound * ldc + columns.lowerBound,
            Int32(ldc))
    }

    /// The product cut into blocks of C's columns.
    var columnBlocks: ColumnBlocks { ColumnBlocks(product: self) }
    /// The product cut into blocks of C's rows.
    var rowBlocks: RowBlocks { RowBlocks(product: self) }

    struct ColumnBlocks: RangeJob {
        let product: BLASProduct
        func run(_ range: Range<Int>) { product.run(rows: 0..<product.m, columns: range) }
    }

    struct RowBlocks: RangeJob {
        let product: BLASProduct
        func run(_ range: Range<Int>) { product.run(rows: range, columns: 0..<product.n) }
    }
}

/// The BLAS library's own thread pool, when it is OpenBLAS.
///
/// `openblas_set_num_threads` / `openblas_get_num_threads` are not in cblas.h and the reference
/// BLAS lacks them, so they are looked up at run time; with another BLAS, `count` is nil and
/// `set` does nothing. kd keeps OpenBLAS on ONE thread and splits work over the cores itself
/// (`sgemm`, `Parallel`): OpenBLAS's idle threads spin in `sched_yield` for a while after each
/// multi-threaded call, taking the cores from the engine's own elementwise work (in a CNN
/// training step, a sixth of the time went there), and its multi-threaded driver allocates
/// on every call.
public enum BLASThreads {
    private typealias SetFunction = @convention(c) (Int32) -> Void
    private typealias GetFunction = @convention(c) () -> Int32

    private static let handle = dlopen(nil, RTLD_NOW)
    private static let setter: SetFunction? = handle.flatMap { dlsym($0, "openblas_set_num_threads") }
        .map { unsafeBitCast($0, to: SetFunction.self) }
    private static let getter: GetFunction? = handle.flatMap { dlsym($0, "openblas_get_num_threads") }
        .map { unsafeBitCast($0, to: GetFunction.self) }

    /// Set once, before the first sgemm: OpenBLAS on one thread.
    static let singleThreadedBLAS: Bool = set(1)

    /// OpenBLAS's current thread count, or nil when the BLAS is not OpenBLAS.
    public static var count: Int? {
        _ = singleThreadedBLAS
        return getter.map { Int($0()) }
    }

    /// Whether OpenBLAS runs its own threads now (inside `with(threads:)`; sgemm is not split then).
    private(set) static var blasThreaded = false

    /// Runs `body` with OpenBLAS on `threads` threads and sgemm calls passed to it whole, then
    /// back on one: the benchmark's reference rate of OpenBLAS's own threading.
    public static func with<R>(threads: Int, _ body: () -> R) -> R {
        _ = singleThreadedBLAS
        set(threads)
        blasThreaded = true
        defer {
            blasThreaded = false
            set(1)
        }
        return body()
    }

    /// Sets OpenBLAS's thread count (no effect with another BLAS); returns whether it could.
    @discardableResult
    static func set(_ threads: Int) -> Bool {
        guard let setter else { return false }
        setter(Int32(max(1, threads)))
        return true
    }
}
