import DataFormats
import FileTestSupport
import Foundation
import XCTest

final class IDXReaderTests: XCTestCase {
    func testRawU8ImagesScaledAndShaped() throws {
        let dir = try TempDir()
        let pixels: [UInt8] = [0, 51, 102, 153, 204, 255, 1, 2, 3, 4, 5, 6]
        let path = try dir.write("imgs", bytes: idxBytes(dims: [2, 2, 3], payload: pixels))
        let x = try IDXReader.readImages(path: path)
        XCTAssertEqual(x.count, 2)
        XCTAssertEqual(x.sampleShape, [1, 2, 3])
        XCTAssertEqual(x.samples, pixels.map { Float($0) / 255 })
        XCTAssertEqual(x.samples[5], 1)
        XCTAssertEqual(x.samples[1], 0.2)
    }

    func testOtherDTypesBigEndian() throws {
        // i16 [2]: -2, 300 ; f32 [2]: 1.5, -0.25 ; i32 [1]: 70000 ; f64 [1]: 2.5 ; i8 [1]: -3
        let i16 = try IDXArray(bytes: idxBytes(dtype: 0x0B, dims: [2], payload: [0xFF, 0xFE, 0x01, 0x2C]), name: "a")
        XCTAssertEqual(try i16.integers(), [-2, 300])
        let f32 = try IDXArray(
            bytes: idxBytes(dtype: 0x0D, dims: [2], payload: [0x3F, 0xC0, 0, 0, 0xBE, 0x80, 0, 0]), name: "b")
        XCTAssertEqual(f32.floats(), [1.5, -0.25])
        let i32 = try IDXArray(bytes: idxBytes(dtype: 0x0C, dims: [1], payload: [0, 1, 0x11, 0x70]), name: "c")
        XCTAssertEqual(try i32.integers(), [70000])
        let f64 = try IDXArray(
            bytes: idxBytes(dtype: 0x0E, dims: [1], payload: [0x40, 0x04, 0, 0, 0, 0, 0, 0]), name: "d")
        XCTAssertEqual(f64.floats(), [2.5])
        let i8 = try IDXArray(bytes: idxBytes(dtype: 0x09, dims: [1], payload: [0xFD]), name: "e")
        XCTAssertEqual(try i8.integers(), [-3])
        assertThrowsMessage(try f32.integers(), contains: ["b: element 0 is 1.5, not an integer label"])
    }

    func testFourDimensionalAndVectorImages() throws {
        let dir = try TempDir()
        let p4 = try dir.write("x4", bytes: idxBytes(dims: [1, 2, 1, 2], payload: [1, 2, 3, 4]))
        XCTAssertEqual(try IDXReader.readImages(path: p4).sampleShape, [2, 1, 2])
        let p2 = try dir.write("x2", bytes: idxBytes(dims: [2, 3], payload: [1, 2, 3, 4, 5, 6]))
        XCTAssertEqual(try IDXReader.readImages(path: p2).sampleShape, [3])
    }

    func testBadMagic() {
        assertThrowsMessage(
            try IDXArray(bytes: [0x01, 0x00, 0x08, 0x01, 0, 0, 0, 0], name: "m.idx"),
            contains: ["m.idx: not an IDX file: bad magic 01 00 08 01"])
    }

    func testUnknownDType() {
        assertThrowsMessage(
            try IDXArray(bytes: idxBytes(dtype: 0x0A, dims: [1], payload: [0]), name: "d.idx"),
            contains: ["d.idx: unknown IDX element type 0x0a"])
    }

    func testZeroDimensions() {
        assertThrowsMessage(
            try IDXArray(bytes: [0, 0, 8, 0], name: "z.idx"), contains: ["z.idx: IDX header has 0 dimensions"])
    }

    func testTruncatedPayload() {
        let bytes = idxBytes(dims: [60000, 28, 28], payload: [UInt8](repeating: 7, count: 1000))
        assertThrowsMessage(
            try IDXArray(bytes: bytes, name: "train-images-idx3-ubyte.gz"),
            contains: ["train-images-idx3-ubyte.gz: truncated: header says 60000x28x28 = 47040000 bytes, file has 1000"]
        )
    }

    func testTruncatedHeader() {
        assertThrowsMessage(
            try IDXArray(bytes: [0, 0, 8, 3, 0, 0, 0, 2], name: "h.idx"),
            contains: ["h.idx: truncated: header needs 16 bytes for 3 dimensions, file has 8"])
    }

    func testTrailingBytes() {
        let bytes = idxBytes(dtype: 0x0B, dims: [2], payload: [0, 1, 0, 2, 9, 9])
        assertThrowsMessage(
            try IDXArray(bytes: bytes, name: "t.idx"),
            contains: ["t.idx: trailing bytes: header says 2 = 4 bytes of 2-byte i16, file has 6 (2 extra)"])
    }

    func testTruncatedGzip() throws {
        let dir = try TempDir()
        let gz = try Gzip.compress(idxBytes(dims: [50, 10], payload: (0..<500).map { UInt8($0 % 251) }))
        let path = try dir.write("cut.gz", bytes: Array(gz.prefix(gz.count / 2)))
        assertThrowsMessage(try IDXArray(contentsOf: path), contains: ["cut.gz: truncated gzip"])
        // Missing only the 8-byte trailer (CRC32 + size) is truncation too.
        let path2 = try dir.write("cut2.gz", bytes: Array(gz.dropLast(8)))
        assertThrowsMessage(try IDXArray(contentsOf: path2), contains: ["cut2.gz: truncated gzip"])
    }

    func testCorruptGzip() throws {
        var gz = try Gzip.compress(idxBytes(dims: [4], payload: [1, 2, 3, 4]))
        gz[gz.count - 6] ^= 0xFF  // CRC32 mismatch
        assertThrowsMessage(
            try IDXArray(bytes: gz, name: "crc.gz"), contains: ["crc.gz: corrupt gzip: incorrect data check"])
    }

    func testLabelsFileMustBeOneDimensional() throws {
        let dir = try TempDir()
        let p = try dir.write("l2", bytes: idxBytes(dims: [2, 1], payload: [0, 1]))
        assertThrowsMessage(
            try IDXReader.readLabels(path: p), contains: ["a labels file needs 1 dimension [N], header has 2"])
    }

    func testMissingFile() {
        assertThrowsMessage(
            try IDXArray(contentsOf: "/nonexistent/train-images-idx3-ubyte"),
            contains: ["/nonexistent/train-images-idx3-ubyte: no such file (expected an IDX file)"])
    }

    func testConcatenatedGzipMembers() throws {
        let whole = idxBytes(dims: [4], payload: [1, 2, 3, 4])
        let gz = try Gzip.compress(Array(whole.prefix(6))) + (try Gzip.compress(Array(whole.dropFirst(6))))
        XCTAssertEqual(try IDXArray(bytes: gz, name: "cat.gz").integers(), [1, 2, 3, 4])
        assertThrowsMessage(
            try IDXArray(bytes: gz + [0, 0, 0], name: "junk.gz"), contains: ["junk.gz: corrupt gzip: 3 trailing bytes"])
    }
}
