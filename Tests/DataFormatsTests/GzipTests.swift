import FileTestSupport
import Foundation
import XCTest

@testable import DataFormats

/// Inflation with a limit: a gzip bomb is stopped at the first byte past what is allowed.
final class GzipTests: XCTestCase {
    /// One gzip member of 1 MiB of zeros (about 1 KB compressed).
    static let megabyteOfZeros = try! Gzip.compress([UInt8](repeating: 0, count: 1 << 20), level: 9)

    func testDecompressUpToTheLimit() throws {
        let data = (0..<5000).map { UInt8($0 % 251) }
        let gz = try Gzip.compress(data)
        XCTAssertEqual(try Gzip.decompress(gz, name: "a.gz", limit: 5000), data)
        assertThrowsMessage(
            try Gzip.decompress(gz, name: "a.gz", limit: 4999),
            contains: ["a.gz: gzip inflates to more than 4999 bytes, the most allowed here"])
    }

    func testBombIsStoppedAtTheLimitWhateverTheTrailerClaims() throws {
        var bomb = [UInt8]()
        for _ in 0..<64 { bomb += Self.megabyteOfZeros }  // 64 MiB inflated
        bomb.replaceSubrange((bomb.count - 4)..., with: [0xFF, 0xFF, 0xFF, 0xFF])  // ISIZE claims 4 GiB
        let limit = 1 << 20
        assertThrowsMessage(
            try Gzip.decompress(bomb, name: "bomb.gz", limit: limit),
            contains: ["bomb.gz: gzip inflates to more than 1048576 bytes"])
        // What the decompressor holds: the limit and one byte, in a buffer not sized by ISIZE.
        let inflater = try GzipInflater(bomb, name: "bomb.gz")
        var output = [UInt8]()
        try inflater.inflate(into: &output, upTo: limit + 1)
        XCTAssertEqual(output.count, limit + 1)
        XCTAssertEqual(inflater.inflated, limit + 1)
        XCTAssertLessThan(output.capacity, limit + 1 + 65536)
        XCTAssertFalse(inflater.finished)
    }

    func testIDXHeaderThenGigabytesOfZerosFailsFast() throws {
        // A header claiming 6x2x2 u8 (24 bytes) and its payload, then 2 GiB of zeros in 2 MB of gzip.
        var gz = try Gzip.compress(idxBytes(dims: [6, 2, 2], payload: [UInt8](repeating: 7, count: 24)))
        for _ in 0..<2048 { gz += Self.megabyteOfZeros }
        let start = Date()
        assertThrowsMessage(
            try IDXArray(bytes: gz, name: "bomb.idx.gz"),
            contains: [
                "bomb.idx.gz: trailing bytes: header says 6x2x2 = 24 bytes, the gzip stream inflates to more (stopped at the first extra byte)"
            ])
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, "the zeros after the payload were inflated")
    }

    func testGzipIDXTruncatedPayloadAndExactFit() throws {
        let short = try Gzip.compress(idxBytes(dtype: 0x0B, dims: [4], payload: [0, 1, 0, 2]))
        assertThrowsMessage(
            try IDXArray(bytes: short, name: "s.gz"),
            contains: ["s.gz: truncated: header says 4 = 8 bytes of 2-byte i16, file has 4"])
        let exact = try Gzip.compress(idxBytes(dtype: 0x0B, dims: [2], payload: [0, 1, 0, 2]))
        XCTAssertEqual(try IDXArray(bytes: exact, name: "e.gz").integers(), [1, 2])
    }
}
