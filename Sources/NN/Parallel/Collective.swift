import Foundation

/// The collective operations data-parallel training needs, over the `size` processes (ranks)
/// of a job: one process (`SingleProcess`) or the ranks `mpirun` started (`MPICollective`).
///
/// Every rank must call the same operations in the same order with the same counts; a call
/// returns when all ranks have made it. Buffers are in place. Under MPI a transport error ends
/// the whole job (Open MPI's default error handler).
public protocol Collective: AnyObject {
    /// This process's index, 0 ..< size (rank 0 writes the run's files).
    var rank: Int { get }
    /// Processes in the job.
    var size: Int { get }
    /// Replaces `buffer` on every rank with rank `root`'s values.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int)
    /// Replaces `buffer` on every rank with the element-wise sum over the ranks.
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>)
    /// `allreduceSum` in double precision (batch-norm statistics, loss sums).
    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>)
    /// Concatenates every rank's block: rank r contributes `counts[r]` values at offset
    /// counts[0] + ... + counts[r-1] of `buffer` (sum(counts) values), and every rank gets all.
    func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int])
    /// Returns when every rank has called it.
    func barrier()
}

extension Collective {
    /// True on the rank that writes files and prints progress.
    public var isRoot: Bool { rank == 0 }

    /// `allgather` of a tensor whose rows [rows(r)] are rank r's block (`share` of `rows` rows).
    public func allgatherRows(_ tensor: Tensor, rows: Int) {
        let width = rows == 0 ? 0 : tensor.count / rows
        let counts = (0..<size).map { Shard.range(of: rows, rank: $0, size: size).count * width }
        tensor.data.withUnsafeMutableBufferPointer { allgather($0, counts: counts) }
    }
}

/// The job of one process: rank 0 of 1, every operation leaves the buffers as they are.
public final class SingleProcess: Collective {
    public init() {}
    public var rank: Int { 0 }
    public var size: Int { 1 }
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {}
    public func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {}
    public func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) {}
    public func barrier() {}
}

/// Contiguous blocks of a range split over the ranks (evaluation, the teacher cache): rank r
/// gets rows [r * n / size, (r + 1) * n / size), so blocks differ by at most one row.
public enum Shard {
    public static func range(of count: Int, rank: Int, size: Int) -> Range<Int> {
        (rank * count / size)..<((rank + 1) * count / size)
    }
}

/// The job this process belongs to. Under `mpirun` (Open MPI sets `OMPI_COMM_WORLD_SIZE`) the
/// first use calls `MPI_Init` and gives the MPI world; otherwise a `SingleProcess`, and MPI is
/// never initialised.
public enum World {
    /// Processes Open MPI started for this job, from its environment (nil: not under mpirun).
    public static var launchedSize: Int? {
        ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"].flatMap { Int($0) }
    }

    public static let collective: Collective = {
        guard launchedSize != nil else { return SingleProcess() }
        return MPICollective.initialize()
    }()

    /// Ends the job's use of MPI (call once, when the process is done; nothing without MPI).
    public static func finish() {
        (collective as? MPICollective)?.finalize()
    }

    /// Stops every rank of the job with exit status `code` (after this rank printed why).
    public static func abort(code: Int32) -> Never {
        (collective as? MPICollective)?.abort(code: code)
        exit(code)
    }
}
