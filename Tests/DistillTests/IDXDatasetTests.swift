import Distill
import Foundation
import XCTest

/// IDX images and labels files as a `Dataset`: counts and labels checked, gzip read back exactly.
final class IDXDatasetTests: XCTestCase {
    func testGzipImagesAndLabelsReadBackExactly() throws {
        let dir = try TempDir()
        let pixels: [UInt8] = (0..<(3 * 2 * 2)).map { UInt8($0 * 20) }
        let images = try dir.write("imgs.gz", bytes: try Gzip.compress(idxBytes(dims: [3, 2, 2], payload: pixels)))
        let labels = try dir.write("labels.gz", bytes: try Gzip.compress(idxBytes(dims: [3], payload: [2, 0, 1])))
        let ds = try Dataset(idxImages: images, labels: labels, name: "tiny")
        XCTAssertEqual(ds.count, 3)
        XCTAssertEqual(ds.sampleShape, [1, 2, 2])
        XCTAssertEqual(ds.labels, [2, 0, 1])
        XCTAssertEqual(ds.classCount, 3)
        XCTAssertEqual(Array(ds.sample(1)), [80, 100, 120, 140].map { Float($0) / 255 })
    }

    func testLabelImageCountMismatch() throws {
        let dir = try TempDir()
        let images = try dir.write("imgs", bytes: idxBytes(dims: [3, 1, 1], payload: [1, 2, 3]))
        let labels = try dir.write("labs", bytes: idxBytes(dims: [2], payload: [0, 1]))
        assertThrowsMessage(
            try Dataset(idxImages: images, labels: labels, name: "x"),
            contains: [labels, "count mismatch: 2 labels for 3 images in \(images)"])
    }

    func testLabelOutOfRange() throws {
        let dir = try TempDir()
        let images = try dir.write("imgs", bytes: idxBytes(dims: [3, 1, 1], payload: [1, 2, 3]))
        let labels = try dir.write("labs", bytes: idxBytes(dims: [3], payload: [0, 12, 1]))
        assertThrowsMessage(
            try Dataset(idxImages: images, labels: labels, name: "x", classCount: 10),
            contains: ["\(labels): label 12 at index 1 is outside 0..<10"])
        let neg = try dir.write("neg", bytes: idxBytes(dtype: 0x09, dims: [3], payload: [0, 0xFF, 1]))
        assertThrowsMessage(
            try Dataset(idxImages: images, labels: neg, name: "x"),
            contains: ["\(neg): label -1 at index 1 is negative"])
    }
}
