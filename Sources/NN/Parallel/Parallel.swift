import Dispatch
import Foundation

/// Splitting elementwise work across the cores.
///
/// Used for loops long enough to pay for waking a second thread (an optimizer update over a
/// million parameters, im2col of a whole batch); short loops run inline. The split never changes
/// results: each element is computed by the same arithmetic whichever thread does it.
enum Parallel {
    /// Cores available to this process.
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint ranges covering 0..<count, concurrently when count >= minimum
    /// per thread × 2 and more than one core is there; ranges are multiples of `align`
    /// (except the last).
    @inline(__always)
    static func forRanges(_ count: Int, minimumPerThread: Int, align: Int = 16, _ body: (Range<Int>) -> Void) {
        let parts = min(cores, count / max(minimumPerThread, 1))
        if parts <= 1 {
            body(0..<count)
            return
        }
        var chunk = (count + parts - 1) / parts
        chunk = (chunk + align - 1) / align * align
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let start = part * chunk
            let end = min(count, start + chunk)
            if start < end { body(start..<end) }
        }
    }
}
