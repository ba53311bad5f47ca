import DataFormats
import FileTestSupport
import Foundation
import XCTest

/// The NPY reader on files numpy wrote (Tests/Fixtures/fixtures_npy.py) and on damaged bytes.
final class NPYReaderTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/npy")

    static func fixture(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// k / 4 - 1 for element k in C order (what fixtures_npy.py writes).
    static func expected(_ n: Int) -> [Float] { (0..<n).map { Float($0) / 4 - 1 } }

    /// An NPY v1.0 file: magic, version, u16 header length, `header` padded to 64, `payload`.
    static func npy(_ header: String, payload: [UInt8] = [], major: UInt8 = 1) -> [UInt8] {
        let preamble = major == 1 ? 10 : 12
        var text = Array(header.utf8)
        while (preamble + text.count + 1) % 64 != 0 { text.append(0x20) }
        text.append(0x0A)
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, major, 0]
        let n = text.count
        bytes += major == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8), 0, 0]
        return bytes + text + payload
    }

    static func f4(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
    }

    func testFloat32AndFloat64FromNumpyEveryVersion() throws {
        for name in ["f4_v1.npy", "f8_v1.npy", "f4_v2.npy", "f4_v3.npy"] {
            let array = try NPYArray(contentsOf: Self.fixture(name))
            XCTAssertEqual(array.shape, [3, 4], name)
            XCTAssertEqual(array.values, Self.expected(12), name)
        }
        let m = try NPYReader.readMatrix(path: Self.fixture("f8_v1.npy"))
        XCTAssertEqual([m.rows, m.columns], [3, 4])
        XCTAssertEqual(m.values, Self.expected(12))
    }

    func testFortranOrderIsReorderedToCOrder() throws {
        let two = try NPYArray(contentsOf: Self.fixture("f4_fortran.npy"))
        XCTAssertEqual(two.shape, [3, 4])
        XCTAssertEqual(two.values, Self.expected(12))
        let three = try NPYArray(contentsOf: Self.fixture("f8_fortran_3d.npy"))
        XCTAssertEqual(three.shape, [2, 3, 4])
        XCTAssertEqual(three.values, Self.expected(24))
    }

    func testMatrixNeedsTwoDimensions() throws {
        XCTAssertEqual(try NPYArray(contentsOf: Self.fixture("f4_1d.npy")).values, Self.expected(5))
        let oneD = Self.fixture("f4_1d.npy")
        assertThrowsMessage(
            try NPYReader.readMatrix(path: oneD), contains: ["\(oneD): expected a 2-D array [N, K]", "[5]"])
        let threeD = Self.fixture("f4_3d.npy")
        assertThrowsMessage(
            try NPYReader.readMatrix(path: threeD), contains: ["\(threeD): expected a 2-D array [N, K]", "[2, 3, 4]"])
    }

    func testUnsupportedDTypeFromNumpy() {
        let path = Self.fixture("i8.npy")
        assertThrowsMessage(
            try NPYArray(contentsOf: path),
            contains: ["\(path): unsupported NPY dtype '<i8' (kd reads '<f4' float32 and '<f8' float64"])
    }

    func testMalformedFilesGiveOneLine() throws {
        let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }"
        let payload = Self.f4([1, 2, 3, 4])
        XCTAssertEqual(try NPYArray(bytes: Self.npy(good, payload: payload), name: "ok.npy").values, [1, 2, 3, 4])
        XCTAssertEqual(
            try NPYArray(bytes: Self.npy(good, payload: payload, major: 2), name: "ok.npy").values, [1, 2, 3, 4])
        var badMagic = Self.npy(good, payload: payload)
        badMagic[1] = 0x4F
        let cases: [([UInt8], String)] = [
            (
                Array(Self.npy(good, payload: payload).dropLast(3)),
                "t.npy: truncated: header says 2x2 <f4 = 16 bytes, file has 13"
            ),
            (
                Self.npy(good, payload: payload + [0]),
                "t.npy: trailing bytes: header says 2x2 <f4 = 16 bytes, file has 17 (1 extra)"
            ),
            (
                Array(Self.npy(good).prefix(30)),
                "t.npy: truncated: NPY header says 118 bytes, file has 20 after the preamble"
            ),
            ([0x93, 0x4E, 0x55], "t.npy: not an NPY file: 3 bytes, too short"),
            (badMagic, "t.npy: not an NPY file: bad magic 93 4f 55 4d 50 59"),
            (Self.npy(good, payload: payload, major: 4), "t.npy: unsupported NPY format version 4.0"),
            (
                Self.npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", payload: payload),
                "t.npy: unsupported NPY dtype '>f4'"
            ),
            (
                Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", payload: payload),
                "t.npy: bad NPY header dict at byte 62: unknown key 'x'"
            ),
            (
                Self.npy("{'descr': '<f4', 'shape': (2, 2), }", payload: payload),
                "t.npy: bad NPY header dict at byte 54: missing key 'fortran_order'"
            ),
            (
                Self.npy("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2), }", payload: payload),
                "t.npy: bad NPY header dict at byte 34: expected True or False"
            ),
            (
                Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2), }", payload: payload),
                "t.npy: bad NPY header dict at byte 54: expected a non-negative integer dimension"
            ),
            (Self.npy("garbage", payload: payload), "t.npy: bad NPY header dict at byte 0: expected '{'"),
            (
                Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), } x", payload: payload),
                "t.npy: bad NPY header dict at byte 60: unexpected text after the closing '}'"
            ),
            (
                Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }"),
                "t.npy: NPY shape [4294967296, 4294967296, 4] is too large"
            ),
            (
                Self.npy("{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999999999999, 2), }"),
                "t.npy: bad NPY header dict at byte 69: dimension too large"
            ),
        ]
        for (bytes, message) in cases {
            assertThrowsMessage(try NPYArray(bytes: bytes, name: "t.npy"), contains: [message])
        }
    }

    func testFloat64BeyondFloat32IsRefused() {
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"
        let payload = [1.0, 1e300].flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        assertThrowsMessage(
            try NPYArray(bytes: Self.npy(header, payload: payload), name: "big.npy"),
            contains: ["big.npy: element 1 is 1e+300, beyond Float32's range"])
    }

    func testMissingFileAndFolder() throws {
        let dir = try TempDir()
        assertThrowsMessage(
            try NPYArray(contentsOf: dir.path + "/none.npy"),
            contains: ["none.npy: no such file (expected an NPY file)"])
        assertThrowsMessage(try NPYArray(contentsOf: dir.path), contains: ["is a folder (expected an NPY file)"])
    }
}
