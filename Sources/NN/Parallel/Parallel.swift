import Dispatch
import Foundation

/// Splitting elementwise work across the cores.
///
/// Used for loops long enough to pay for waking a second thread (an optimizer update over a
/// million parameters, im2col of a whole batch); short loops run inline. The split never changes
/// results: each element is computed by the same arithmetic whichever thread does it.
///
/// The helpers are persistent threads that sleep on a semaphore between jobs (they never spin,
/// so they do not compete with OpenBLAS's threads). Handing a job to them costs one small heap
/// allocation (the closure context `withoutActuallyEscaping` makes for the other threads;
/// DispatchQueue.concurrentPerform allocates a block per call and more); a loop run inline
/// allocates nothing.
public enum Parallel {
    /// Cores available to this process.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    private static let pool = WorkerPool(helpers: cores - 1)

    /// Jobs handed to the helper threads so far (the allocation tests' bound).
    public static var dispatchedJobs: Int { pool.dispatched }

    /// Calls `body` on disjoint ranges covering 0..<count, concurrently when there are at least
    /// `minimumPerThread` elements per thread and more than one core; ranges start at
    /// multiples of `align`.
    @inline(__always)
    static func forRanges(_ count: Int, minimumPerThread: Int, align: Int = 16, _ body: (Range<Int>) -> Void) {
        let parts = min(cores, count / max(minimumPerThread, 1))
        if parts <= 1 {
            body(0..<count)
            return
        }
        var chunk = (count + parts - 1) / parts
        chunk = (chunk + align - 1) / align * align
        pool.run(parts: parts) { part in
            let start = part * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}

/// `helpers` threads that each run one part of a job while the calling thread runs part 0.
/// One job at a time (callers are serialised by a lock; a job started from inside a job runs
/// inline).
final class WorkerPool {
    private let helpers: Int
    /// The running job (set only while `run` waits for it).
    private var job: ((Int) -> Void)?
    private var parts = 0
    private let starts: [DispatchSemaphore]
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var threads: [Thread] = []
    private var busy = false
    /// Jobs run on the helpers so far (counted under the lock).
    private(set) var dispatched = 0

    init(helpers: Int) {
        self.helpers = max(0, helpers)
        starts = (0..<max(0, helpers)).map { _ in DispatchSemaphore(value: 0) }
        for index in 0..<self.helpers {
            let thread = Thread { [unowned self] in self.loop(helper: index) }
            thread.name = "kd-worker-\(index + 1)"
            thread.start()
            threads.append(thread)
        }
    }

    private func loop(helper index: Int) {
        while true {
            starts[index].wait()
            if index + 1 < parts, let job { job(index + 1) }
            done.signal()
        }
    }

    /// Runs `body(0) ... body(parts - 1)`, part 0 on this thread, the others on the helpers;
    /// returns when all are done.
    func run(parts requested: Int, _ body: (Int) -> Void) {
        let parts = min(requested, helpers + 1)
        guard parts > 1, lock.try() else {
            for part in 0..<requested { body(part) }
            return
        }
        defer { lock.unlock() }
        dispatched += 1
        withoutActuallyEscaping(body) { escapable in
            self.job = escapable
            self.parts = parts
            for index in 0..<(parts - 1) { starts[index].signal() }
            escapable(0)
            for _ in 0..<(parts - 1) { done.wait() }
            self.job = nil
        }
        if requested > parts { for part in parts..<requested { body(part) } }
    }
}
