import Distill
import Foundation
import XCTest

final class CSVReaderTests: XCTestCase {
    func testHeaderAutoDetectedAndScaled() throws {
        let text = "label,pixel1,pixel2,pixel3,pixel4\n3,0,255,51,102\r\n1,1,2,3,4\n\n"
        let ds = try CSVReader.parse(bytes: Array(text.utf8), file: "k.csv")
        XCTAssertEqual(ds.count, 2)
        XCTAssertEqual(ds.labels, [3, 1])
        XCTAssertEqual(ds.sampleShape, [1, 2, 2])
        XCTAssertEqual(Array(ds.sample(0)), [0, 1, 0.2, 0.4])
        XCTAssertEqual(ds.classCount, 4)
    }

    func testNoHeaderCustomLabelColumnScaleAndShape() throws {
        let text = "0.5,1.5,2\n0.25,0.75,0\n"
        let ds = try CSVReader.parse(bytes: Array(text.utf8), file: "f.csv",
                                     options: CSVOptions(labelColumn: 2, header: .auto, scale: 1))
        XCTAssertEqual(ds.labels, [2, 0])
        XCTAssertEqual(ds.sampleShape, [2])
        XCTAssertEqual(ds.samples, [0.5, 1.5, 0.25, 0.75])
        let shaped = try CSVReader.parse(bytes: Array(text.utf8), file: "f.csv",
                                         options: CSVOptions(labelColumn: 2, scale: 0.5, shape: [2, 1]))
        XCTAssertEqual(shaped.sampleShape, [2, 1])
        XCTAssertEqual(shaped.samples, [1, 3, 0.5, 1.5])
        XCTAssertThrowsMessage(try CSVReader.parse(bytes: Array(text.utf8), file: "f.csv", options: CSVOptions(labelColumn: 2, shape: [3])),
                               contains: ["f.csv: csv shape [3] holds 3 values, rows have 2 features"])
    }

    func testQuotedHeaderAndForcedHeader() throws {
        let quoted = "\"label\",\"a\"\n1,7\n"
        XCTAssertEqual(try CSVReader.parse(bytes: Array(quoted.utf8), file: "q.csv").labels, [1])
        let numericHeader = "9,9\n1,7\n"
        XCTAssertEqual(try CSVReader.parse(bytes: Array(numericHeader.utf8), file: "n.csv", options: CSVOptions(header: .present)).labels, [1])
        XCTAssertEqual(try CSVReader.parse(bytes: Array(numericHeader.utf8), file: "n.csv").labels, [9, 1])
    }

    func testRaggedRowNamesLineAndCounts() {
        let text = "label,a,b\n1,2,3\n\n0,1\n"
        XCTAssertThrowsMessage(try CSVReader.parse(bytes: Array(text.utf8), file: "r.csv"),
                               contains: ["r.csv: line 4: ragged row: 2 columns, expected 3"])
    }

    func testNonNumericCell() {
        let text = "1,2,3\n0,x7,3\n"
        XCTAssertThrowsMessage(try CSVReader.parse(bytes: Array(text.utf8), file: "c.csv"),
                               contains: ["c.csv: line 2, column 2: not a number: 'x7'"])
    }

    func testLabelNotAnInteger() {
        let text = "1.5,2,3\n"
        XCTAssertThrowsMessage(try CSVReader.parse(bytes: Array(text.utf8), file: "l.csv"),
                               contains: ["l.csv: line 1, column 1: label '1.5' is not an integer"])
        XCTAssertThrowsMessage(try CSVReader.parse(bytes: Array("-1,2\n".utf8), file: "neg.csv"),
                               contains: ["neg.csv: label -1 at index 0 is negative"])
    }

    func testEmptyFile() throws {
        XCTAssertThrowsMessage(try CSVReader.parse(bytes: [], file: "e.csv"), contains: ["e.csv: empty CSV: no data rows"])
        XCTAssertThrowsMessage(try CSVReader.parse(bytes: Array("label,a\n".utf8), file: "h.csv"), contains: ["h.csv: empty CSV"])
        let dir = try TempDir()
        XCTAssertThrowsMessage(try CSVReader.read(path: dir.path + "/none.csv"), contains: ["none.csv: no such file (expected a CSV data file)"])
    }

    func testCSVSourceThroughSplits() throws {
        let dir = try TempDir()
        let train = try dir.write("train.csv", "label,p1,p2,p3,p4\n0,0,0,0,0\n1,255,255,255,255\n2,0,0,0,0\n")
        let test = try dir.write("test.csv", "label,p1,p2\n0,0,0\n")
        let source = try DataSource(parsing: "csv:\(train),\(test)")
        XCTAssertEqual(source, .csv(train: train, test: test))
        XCTAssertThrowsMessage(try DataSplits.load(DataConfig(source: source), seed: 1, dataDir: nil),
                               contains: ["test samples have shape [2], training samples [1, 2, 2]"])
        let ok = try DataSplits.load(DataConfig(source: .csv(train: train, test: nil)), seed: 1, dataDir: nil)
        XCTAssertEqual(ok.train.count, 3)
        XCTAssertNil(ok.test)
    }
}
