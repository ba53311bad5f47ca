import CMPI

/// `Collective` over Open MPI's `MPI_COMM_WORLD`; the only file that imports CMPI.
/// Every operation is one blocking MPI call (`MPI_Bcast`, `MPI_Allreduce` in place,
/// `MPI_Allgatherv` in place, `MPI_Barrier`); counts beyond Int32 are not supported (a buffer
/// of 2^31 floats is 8 GiB, far past kd's models).
final class MPICollective: Collective {
    let rank: Int
    let size: Int

    private init(rank: Int, size: Int) {
        self.rank = rank
        self.size = size
    }

    /// Calls `MPI_Init` (with thread support for a caller that alone calls MPI) and reads the
    /// world's rank and size.
    static func initialize() -> MPICollective {
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided)
        var rank: Int32 = 0
        var size: Int32 = 0
        MPI_Comm_rank(kd_mpi_comm_world(), &rank)
        MPI_Comm_size(kd_mpi_comm_world(), &size)
        return MPICollective(rank: Int(rank), size: Int(size))
    }

    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        MPI_Bcast(base, Int32(buffer.count), kd_mpi_float(), Int32(root), kd_mpi_comm_world())
    }

    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Float>) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        MPI_Allreduce(kd_mpi_in_place(), base, Int32(buffer.count), kd_mpi_float(), kd_mpi_sum(), kd_mpi_comm_world())
    }

    func allreduceSum(_ buffer: UnsafeMutableBufferPointer<Double>) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        MPI_Allreduce(
            kd_mpi_in_place(), base, Int32(buffer.count), kd_mpi_double(), kd_mpi_sum(), kd_mpi_comm_world())
    }

    func allgather(_ buffer: UnsafeMutableBufferPointer<Float>, counts: [Int]) {
        guard let base = buffer.baseAddress else { return }
        let sizes = counts.map { Int32($0) }
        var offsets = [Int32](repeating: 0, count: sizes.count)
        for r in 1..<max(sizes.count, 1) { offsets[r] = offsets[r - 1] + sizes[r - 1] }
        MPI_Allgatherv(
            kd_mpi_in_place(), 0, kd_mpi_float(), base, sizes, offsets, kd_mpi_float(), kd_mpi_comm_world())
    }

    func barrier() { MPI_Barrier(kd_mpi_comm_world()) }

    func finalize() { MPI_Finalize() }

    func abort(code: Int32) { MPI_Abort(kd_mpi_comm_world(), code) }
}
