import Foundation
import XCTest

@testable import NN

/// The worker pool: every element of every job is run exactly once, whatever the job sizes,
/// the gaps between jobs (shorter and longer than the helpers' spin before they sleep), and
/// callers on several threads at once (one gets the helpers, the others run inline).
final class ParallelTests: XCTestCase {
    /// Adds 1 to counts[i] for every i of its range.
    private struct Increment: RangeJob {
        let counts: UnsafeMutablePointer<Int32>
        func run(_ range: Range<Int>) {
            for i in range { counts[i] += 1 }
        }
    }

    func testEveryElementRunsOnceAcrossManyJobs() {
        let size = 4096
        let counts = UnsafeMutablePointer<Int32>.allocate(capacity: size)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0, count: size)
        let jobsBefore = Parallel.dispatchedJobs
        var expected = [Int32](repeating: 0, count: size)
        for round in 0..<3000 {
            let count = 1 + (round * 37) % size
            Parallel.forRanges(count, minimumPerThread: 1, align: 1 + round % 16, Increment(counts: counts))
            for i in 0..<count { expected[i] += 1 }
            // Now and then a gap long enough for the helpers to go to sleep.
            if round % 500 == 0 { usleep(2000) }
        }
        XCTAssertEqual(Array(UnsafeBufferPointer(start: counts, count: size)), expected)
        if Parallel.cores > 1 { XCTAssertGreaterThan(Parallel.dispatchedJobs - jobsBefore, 0) }
    }

    func testConcurrentCallersEachGetTheirWholeJob() {
        let (size, callers) = (2048, 4)
        let buffers = (0..<callers).map { _ in UnsafeMutablePointer<Int32>.allocate(capacity: size) }
        defer { for buffer in buffers { buffer.deallocate() } }
        for buffer in buffers { buffer.initialize(repeating: 0, count: size) }
        DispatchQueue.concurrentPerform(iterations: callers) { caller in
            for _ in 0..<500 {
                Parallel.forRanges(size, minimumPerThread: 64, Increment(counts: buffers[caller]))
            }
        }
        for buffer in buffers {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: buffer, count: size)), [Int32](repeating: 500, count: size))
        }
    }
}
