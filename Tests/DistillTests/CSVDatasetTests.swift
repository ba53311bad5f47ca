import Distill
import Foundation
import XCTest

/// CSV files as a `Dataset`: class count and labels checked, and the `csv:` source through `DataSplits`.
final class CSVDatasetTests: XCTestCase {
    func testClassCountAndNegativeLabel() throws {
        let table = try CSVReader.parse(bytes: Array("label,a\n3,0\n1,1\n".utf8), file: "k.csv")
        let ds = try Dataset(csv: table, file: "k.csv")
        XCTAssertEqual(ds.classCount, 4)
        XCTAssertEqual(ds.name, "k.csv")
        let negative = try CSVReader.parse(bytes: Array("-1,2\n".utf8), file: "neg.csv")
        assertThrowsMessage(
            try Dataset(csv: negative, file: "neg.csv"), contains: ["neg.csv: label -1 at index 0 is negative"])
    }

    func testCSVSourceThroughSplits() throws {
        let dir = try TempDir()
        let train = try dir.write("train.csv", "label,p1,p2,p3,p4\n0,0,0,0,0\n1,255,255,255,255\n2,0,0,0,0\n")
        let test = try dir.write("test.csv", "label,p1,p2\n0,0,0\n")
        let source = try DataSource(parsing: "csv:\(train),\(test)")
        XCTAssertEqual(source, .csv(train: train, test: test))
        assertThrowsMessage(
            try DataSplits.load(DataConfig(source: source), seed: 1, dataDir: nil),
            contains: ["test samples have shape [2], training samples [1, 2, 2]"])
        let ok = try DataSplits.load(DataConfig(source: .csv(train: train, test: nil)), seed: 1, dataDir: nil)
        XCTAssertEqual(ok.train.count, 3)
        XCTAssertNil(ok.test)
        XCTAssertTrue(ok.summary.hasSuffix("3 classes (csv: 3 rows, header: yes)"), ok.summary)
        let both = try DataSplits.load(DataConfig(source: .csv(train: train, test: train)), seed: 1, dataDir: nil)
        XCTAssertTrue(both.summary.hasSuffix("(csv: 3 rows, header: yes; test csv: 3 rows, header: yes)"), both.summary)
    }
}
