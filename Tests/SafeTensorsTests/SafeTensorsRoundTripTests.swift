import Foundation
import SafeTensors
import XCTest

final class SafeTensorsRoundTripTests: XCTestCase {
    func testWriteThenReadKeepsValuesOrderAndMetadata() throws {
        var writer = SafeTensorsWriter(metadata: ["spec": "{\"a\":1}"])
        writer.add("0.weight", shape: [2, 3], floats: [1, -2, 3.5, 0, 1e-8, -7])
        writer.add("1.num_batches_tracked", shape: [], int64: [42])
        let bytes = try writer.serialized()
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "header padded to 8 bytes")
        let file = try SafeTensorsFile(bytes: bytes)
        XCTAssertEqual(file.names, ["0.weight", "1.num_batches_tracked"])
        XCTAssertEqual(file.tensors["0.weight"]?.shape, [2, 3])
        XCTAssertEqual(try file.floats("0.weight"), [1, -2, 3.5, 0, 1e-8, -7])
        XCTAssertEqual(file.tensors["1.num_batches_tracked"]?.dtype, .i64)
        XCTAssertEqual(try file.floats("1.num_batches_tracked"), [42])
        XCTAssertEqual(file.metadata["spec"], "{\"a\":1}")
    }

    func testRejectsBrokenFiles() {
        func header(_ json: String, buffer: Int) -> Data {
            var d = Data()
            withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { d.append(contentsOf: $0) }
            d.append(Data(json.utf8))
            d.append(Data(count: buffer))
            return d
        }
        let cases: [(Data, String)] = [
            (Data([1, 2, 3]), "shorter than the 8-byte header length"),
            (header("[1]", buffer: 0), "header must be a JSON object"),
            (
                header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", buffer: 4),
                "data buffer is 4 bytes"
            ),
            (
                header("{\"a\":{\"dtype\":\"Q8\",\"shape\":[1],\"data_offsets\":[0,1]}}", buffer: 1),
                "unknown dtype 'Q8'"
            ),
            (
                header("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", buffer: 8),
                "needs 3 x 4 bytes"
            ),
            (
                header("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", buffer: 2),
                "gap in the data buffer"
            ),
            (
                header(
                    "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                    buffer: 2), "overlaps"
            ),
            (
                header(
                    "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                    buffer: 2), "appears twice"
            ),
        ]
        for (bytes, message) in cases {
            XCTAssertThrowsError(try SafeTensorsFile(bytes: bytes)) { error in
                XCTAssertTrue("\(error)".contains(message), "expected '\(message)', got '\(error)'")
            }
        }
    }
}
