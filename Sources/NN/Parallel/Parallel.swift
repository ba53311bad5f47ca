import Dispatch
import Foundation
import Synchronization

/// Work over a range of indices that `Parallel.forRanges` may split across the cores: a struct
/// holding the pointers and constants the loop needs, whose `run` handles one sub-range.
/// `run` must only touch what belongs to its range (the ranges run concurrently).
protocol RangeJob {
    func run(_ range: Range<Int>)
}

/// Splitting loops across the cores.
///
/// Used for loops long enough to pay for waking a second thread (an optimizer update over a
/// million parameters, a large sgemm, the per-sample blocks of a convolution); short loops run
/// inline. The split never changes results: each element is computed by the same arithmetic
/// whichever thread does it.
///
/// The helpers are persistent threads that watch for the next job for a moment after each one,
/// then sleep on a semaphore (`WorkerPool`). A job is a `RangeJob` value
/// that stays on the caller's stack: the helpers get its address and its type, so handing out
/// work allocates nothing (a closure would need a heap context to reach the other threads).
public enum Parallel {
    /// Threads this process computes on: `KD_THREADS` when set (a whole number >= 1), else the
    /// cores divided among the ranks `mpirun` started on this machine (Open MPI's
    /// `OMPI_COMM_WORLD_LOCAL_SIZE`; one rank per core gives each rank one thread), else every core.
    static let cores = threadCount(environment: ProcessInfo.processInfo.environment)

    /// `cores` from the given environment.
    static func threadCount(environment: [String: String]) -> Int {
        if let text = environment["KD_THREADS"], let threads = Int(text), threads >= 1 { return threads }
        let ranks = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
        return max(1, ProcessInfo.processInfo.activeProcessorCount / max(ranks, 1))
    }
    /// Threads kd computes on: the caller and one worker per further core.
    public static var threads: Int { cores }

    private static let pool = WorkerPool(helpers: cores - 1)

    /// Jobs handed to the helper threads so far.
    public static var dispatchedJobs: Int { pool.dispatched }

    /// Runs `job` on disjoint ranges covering 0..<count, concurrently when there are at least
    /// `minimumPerThread` elements per thread and more than one core; ranges start at
    /// multiples of `align`. Called from inside a running job, it runs inline.
    @inline(__always)
    static func forRanges<Job: RangeJob>(_ count: Int, minimumPerThread: Int, align: Int = 16, _ job: Job) {
        let parts = min(cores, count / max(minimumPerThread, 1))
        if parts <= 1 {
            job.run(0..<count)
            return
        }
        var chunk = (count + parts - 1) / parts
        chunk = (chunk + align - 1) / align * align
        pool.run(parts: parts, Chunked(job: job, count: count, chunk: chunk))
    }
}

/// One part of a job split `parts` ways (part 0 runs on the calling thread).
protocol PartJob {
    func run(part: Int)
}

extension PartJob {
    /// Runs part `part` of the job of this type stored at `address`.
    static func run(at address: UnsafeRawPointer, part: Int) {
        address.assumingMemoryBound(to: Self.self).pointee.run(part: part)
    }
}

/// A `RangeJob` cut into chunks of `chunk` elements: part p runs elements p*chunk ..< (p+1)*chunk.
private struct Chunked<Job: RangeJob>: PartJob {
    let job: Job
    let count: Int
    let chunk: Int

    func run(part: Int) {
        let start = part * chunk
        let end = min(count, start + chunk)
        if start < end { job.run(start..<end) }
    }
}

/// `helpers` threads that each run one part of a job while the calling thread runs part 0.
/// One job at a time (callers are serialised by a lock; a job started from inside a job, or
/// while another thread's job runs, runs inline).
///
/// A job is published by bumping `generation`. After a job a helper keeps watching it for
/// `spinSeconds` before it sleeps on its semaphore: within a training step the next job comes
/// sooner than that, and waking a sleeping thread costs tens of microseconds here (more than
/// splitting a small sgemm saves). kd's helpers are the only threads besides the caller
/// (OpenBLAS runs on one thread), so the spinning takes no core from the work.
final class WorkerPool {
    /// How long a helper spins for the next job before it sleeps.
    static let spinSeconds = 500e-6

    private final class Helper {
        let index: Int
        /// Set before the helper's last look at `generation` ahead of waiting on `wake`.
        let asleep = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)

        init(index: Int) { self.index = index }
    }

    private let helpers: [Helper]
    /// The running job: its type and the address of its value on the caller's stack (set only
    /// while `run` waits for it).
    private var jobType: PartJob.Type?
    private var jobAddress: UnsafeRawPointer?
    private var parts = 0
    /// Bumped once per job, after the job's fields are set.
    private let generation = Atomic<Int>(0)
    /// Helpers done with the current job.
    private let finished = Atomic<Int>(0)
    private let lock = NSLock()
    /// Jobs run on the helpers so far (counted under the lock).
    private(set) var dispatched = 0

    init(helpers count: Int) {
        helpers = (0..<max(0, count)).map(Helper.init)
        for helper in helpers {
            let thread = Thread { [unowned self] in self.loop(helper) }
            thread.name = "kd-worker-\(helper.index + 1)"
            thread.start()
        }
    }

    private func loop(_ helper: Helper) {
        var seen = 0
        while true {
            seen = nextJob(after: seen, helper)
            if helper.index + 1 < parts, let jobType, let jobAddress {
                jobType.run(at: jobAddress, part: helper.index + 1)
            }
            finished.add(1, ordering: .releasing)
        }
    }

    /// Waits for a generation after `seen` and returns it: spins for `spinSeconds`, then sleeps
    /// until `run` wakes the helper (and looks again after any wake, which may be stale).
    private func nextJob(after seen: Int, _ helper: Helper) -> Int {
        let deadline = MonotonicClock.seconds + Self.spinSeconds
        var looks = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            looks += 1
            if looks % 1024 != 0 || MonotonicClock.seconds < deadline { continue }
            helper.asleep.store(true, ordering: .sequentiallyConsistent)
            if generation.load(ordering: .sequentiallyConsistent) == seen { helper.wake.wait() }
            helper.asleep.store(false, ordering: .sequentiallyConsistent)
        }
    }

    /// Runs parts 0 ..< `requested` of `job`, part 0 on this thread, the others on the helpers;
    /// returns when all are done.
    func run<Job: PartJob>(parts requested: Int, _ job: Job) {
        let parts = min(requested, helpers.count + 1)
        guard parts > 1, lock.try() else {
            for part in 0..<requested { job.run(part: part) }
            return
        }
        defer { lock.unlock() }
        dispatched += 1
        withUnsafePointer(to: job) { address in
            jobType = Job.self
            jobAddress = UnsafeRawPointer(address)
            self.parts = parts
            finished.store(0, ordering: .relaxed)
            generation.add(1, ordering: .sequentiallyConsistent)
            // A helper that announced sleep either saw the new generation already or waits: wake it.
            for index in helpers.indices where helpers[index].asleep.load(ordering: .sequentiallyConsistent) {
                helpers[index].wake.signal()
            }
            job.run(part: 0)
            var looks = 0
            while finished.load(ordering: .acquiring) < helpers.count {
                looks += 1
                if looks % 1024 == 0 { sched_yield() }  // a helper may be off its core
            }
            jobType = nil
            jobAddress = nil
        }
        if requested > parts { for part in parts..<requested { job.run(part: part) } }
    }
}
