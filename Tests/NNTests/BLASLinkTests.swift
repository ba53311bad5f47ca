import Foundation
import NN
import XCTest

/// kd links the generic libblas.so.3, so Debian's alternatives choose the implementation
/// (OpenBLAS when libopenblas0-pthread is installed) with no rebuild.
final class BLASLinkTests: XCTestCase {
    func testProcessMapsTheAlternativesChosenLibblas() throws {
        var c: [Float] = [0]
        sgemm(.none, .none, m: 1, n: 1, k: 1, a: [2], lda: 1, b: [3], ldb: 1, c: &c, ldc: 1)
        XCTAssertEqual(c, [6])
        // procfs files report size 0, so read them as a stream.
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/maps"))
        let maps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        let mapped = Set(
            maps.split(separator: "\n").compactMap { line -> String? in
                guard let path = line.split(separator: " ", omittingEmptySubsequences: true).last,
                    path.hasSuffix("/libblas.so.3")
                else { return nil }
                return String(path)
            })
        XCTAssertEqual(mapped.count, 1, "exactly one libblas.so.3 mapped, found \(mapped)")
        let generic = try XCTUnwrap(
            ["/usr/lib/x86_64-linux-gnu/libblas.so.3", "/usr/lib/aarch64-linux-gnu/libblas.so.3"]
                .first { FileManager.default.fileExists(atPath: $0) })
        let chosen = URL(fileURLWithPath: generic).resolvingSymlinksInPath().path
        print("[blas] libblas.so.3 -> \(chosen)")
        XCTAssertEqual(mapped.first, chosen)
    }
}
