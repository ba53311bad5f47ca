import Foundation
import NN
import XCTest

/// `Subnormals.flushToZero` on the calling thread (run on a thread of its own, so the test
/// process's other threads keep IEEE behaviour).
final class SubnormalsTests: XCTestCase {
    /// Halves `x` behind an opaque call, so the product is computed at run time.
    @inline(never)
    private static func half(_ x: [Float]) -> Float { x[0] * 0.5 }

    func testFlushToZeroMakesSubnormalResultsZeroOnTheCallingThread() throws {
        #if !(arch(x86_64) && canImport(Glibc))
            throw XCTSkip("FTZ/DAZ are set on x86-64 with glibc only")
        #else
            let smallest = [Float.leastNormalMagnitude]
            XCTAssertEqual(Self.half(smallest), Float.leastNormalMagnitude / 2, "IEEE: a subnormal result")
            XCTAssertGreaterThan(Self.half(smallest), 0)
            let results = ThreadResults()
            let finished = DispatchSemaphore(value: 0)
            let thread = Thread {
                let before = Subnormals.flushing
                Subnormals.flushToZero()
                results.set(before: before, after: Subnormals.flushing, product: Self.half(smallest))
                finished.signal()
            }
            thread.start()
            finished.wait()
            XCTAssertFalse(results.before)
            XCTAssertTrue(results.after)
            XCTAssertEqual(results.product, 0, "FTZ: the subnormal half of the smallest normal becomes 0")
            XCTAssertFalse(Subnormals.flushing, "the test's own thread is untouched")
        #endif
    }
}

/// What the other thread saw, handed back once it has finished (the semaphore orders the access).
private final class ThreadResults: @unchecked Sendable {
    private(set) var before = true
    private(set) var after = false
    private(set) var product: Float = -1

    func set(before: Bool, after: Bool, product: Float) {
        (self.before, self.after, self.product) = (before, after, product)
    }
}
