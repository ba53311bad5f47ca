import DataFormats
import FileTestSupport
import Foundation
import XCTest

final class CSVReaderTests: XCTestCase {
    func testHeaderAutoDetectedAndScaled() throws {
        let text = "label,pixel1,pixel2,pixel3,pixel4\n3,0,255,51,102\r\n1,1,2,3,4\n\n"
        let table = try CSVReader.parse(bytes: Array(text.utf8), file: "k.csv")
        XCTAssertEqual(table.rowsRead, 2)
        XCTAssertTrue(table.headerSeen)
        XCTAssertEqual(table.labels, [3, 1])
        XCTAssertEqual(table.sampleShape, [1, 2, 2])
        XCTAssertEqual(Array(table.samples.prefix(4)), [0, 1, 0.2, 0.4])
    }

    func testNoHeaderCustomLabelColumnScaleAndShape() throws {
        let text = "0.5,1.5,2\n0.25,0.75,0\n"
        let table = try CSVReader.parse(
            bytes: Array(text.utf8), file: "f.csv",
            options: CSVOptions(labelColumn: 2, header: .auto, scale: 1))
        XCTAssertFalse(table.headerSeen)
        XCTAssertEqual(table.labels, [2, 0])
        XCTAssertEqual(table.sampleShape, [2])
        XCTAssertEqual(table.samples, [0.5, 1.5, 0.25, 0.75])
        let shaped = try CSVReader.parse(
            bytes: Array(text.utf8), file: "f.csv",
            options: CSVOptions(labelColumn: 2, scale: 0.5, shape: [2, 1]))
        XCTAssertEqual(shaped.sampleShape, [2, 1])
        XCTAssertEqual(shaped.samples, [1, 3, 0.5, 1.5])
        assertThrowsMessage(
            try CSVReader.parse(
                bytes: Array(text.utf8), file: "f.csv", options: CSVOptions(labelColumn: 2, shape: [3])),
            contains: ["f.csv: csv shape [3] holds 3 values, rows have 2 features"])
    }

    func testQuotedHeaderAndForcedHeader() throws {
        let quoted = "\"label\",\"a\"\n1,7\n"
        XCTAssertEqual(try CSVReader.parse(bytes: Array(quoted.utf8), file: "q.csv").labels, [1])
        let numericHeader = "9,9\n1,7\n"
        XCTAssertEqual(
            try CSVReader.parse(bytes: Array(numericHeader.utf8), file: "n.csv", options: CSVOptions(header: .present))
                .labels, [1])
        XCTAssertEqual(try CSVReader.parse(bytes: Array(numericHeader.utf8), file: "n.csv").labels, [9, 1])
    }

    /// A UTF-8 byte-order mark is stripped: the first row is data or header by its content alone.
    func testByteOrderMarkKeepsTheFirstRow() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("kdTests/Malformed")
        let plain = try CSVReader.read(path: corpus.appendingPathComponent("csv-bom-no-header.csv").path)
        XCTAssertEqual(plain.rowsRead, 20)
        XCTAssertFalse(plain.headerSeen)
        XCTAssertEqual(plain.labels.prefix(4), [0, 1, 2, 0])
        XCTAssertEqual(plain.summary, "csv: 20 rows, header: no")
        let headed = try CSVReader.read(path: corpus.appendingPathComponent("csv-bom-header.csv").path)
        XCTAssertEqual(headed.rowsRead, 20)
        XCTAssertTrue(headed.headerSeen)
        XCTAssertEqual(headed.samples, plain.samples)
        XCTAssertEqual(headed.summary, "csv: 20 rows, header: yes")
        // Only a leading mark goes: one inside a cell is still not a number.
        assertThrowsMessage(
            try CSVReader.parse(bytes: Array("1,2\n\u{FEFF}0,3\n".utf8), file: "b.csv"),
            contains: ["b.csv: line 2, column 1: not a number"])
    }

    func testRaggedRowNamesLineAndCounts() {
        let text = "label,a,b\n1,2,3\n\n0,1\n"
        assertThrowsMessage(
            try CSVReader.parse(bytes: Array(text.utf8), file: "r.csv"),
            contains: ["r.csv: line 4: ragged row: 2 columns, expected 3"])
    }

    func testNonNumericCell() {
        let text = "1,2,3\n0,x7,3\n"
        assertThrowsMessage(
            try CSVReader.parse(bytes: Array(text.utf8), file: "c.csv"),
            contains: ["c.csv: line 2, column 2: not a number: 'x7'"])
    }

    func testLabelNotAnInteger() {
        let text = "1.5,2,3\n"
        assertThrowsMessage(
            try CSVReader.parse(bytes: Array(text.utf8), file: "l.csv"),
            contains: ["l.csv: line 1, column 1: label '1.5' is not an integer"])
    }

    func testEmptyFile() throws {
        assertThrowsMessage(try CSVReader.parse(bytes: [], file: "e.csv"), contains: ["e.csv: empty CSV: no data rows"])
        assertThrowsMessage(
            try CSVReader.parse(bytes: Array("label,a\n".utf8), file: "h.csv"), contains: ["h.csv: empty CSV"])
        let dir = try TempDir()
        assertThrowsMessage(
            try CSVReader.read(path: dir.path + "/none.csv"),
            contains: ["none.csv: no such file (expected a CSV data file)"])
    }
}
