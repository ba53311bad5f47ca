import Distill
import Foundation
import XCTest

/// The real data set from Debian's dataset-fashion-mnist package (skipped when it is absent).
final class FashionMNISTTests: XCTestCase {
    func testDebianFashionMNIST() throws {
        let files: DataSource.Files
        do {
            files = try DataSource.fashionMNIST.files(dataDir: nil)
        } catch let e as DataError {
            throw XCTSkip("dataset-fashion-mnist not installed: \(e)")
        }
        guard case .idx(_, _, let testImages?, _) = files else {
            return XCTFail("expected four IDX files, got \(files)")
        }
        XCTAssertTrue(testImages.hasSuffix("t10k-images-idx3-ubyte.gz"))

        let splits = try DataSplits.load(DataConfig(source: .fashionMNIST), seed: 0, dataDir: nil)
        let train = splits.train
        XCTAssertEqual(train.count, 60000)
        XCTAssertEqual(train.sampleShape, [1, 28, 28])
        XCTAssertEqual(train.samples.count, 60000 * 784)
        XCTAssertEqual(splits.test?.count, 10000)
        XCTAssertEqual(splits.test?.sampleShape, [1, 28, 28])
        XCTAssertEqual(splits.classCount, 10)
        XCTAssertNil(splits.validation)
        // Checked with Python (gzip): first training label 9 (Ankle boot), first test label 9,
        // pixel bytes span 0...255, the first image's bytes sum to 76247.
        XCTAssertEqual(train.labels[0], 9)
        XCTAssertEqual(splits.test?.labels[0], 9)
        XCTAssertEqual(Set(train.labels), Set(0..<10))
        let (low, high) = train.samples.withUnsafeBufferPointer { p -> (Float, Float) in
            var lo = Float.infinity
            var hi = -Float.infinity
            for v in p {
                lo = Swift.min(lo, v)
                hi = Swift.max(hi, v)
            }
            return (lo, hi)
        }
        XCTAssertEqual(low, 0)
        XCTAssertEqual(high, 1)
        let firstSum = train.sample(0).reduce(0) { $0 + Double($1) * 255 }
        XCTAssertEqual(firstSum, 76247, accuracy: 0.01)
    }

    func testDataDirOverrideAndMissingFile() throws {
        let dir = try TempDir()
        try dir.write("fashion-mnist/train-labels-idx1-ubyte", bytes: idxBytes(dims: [1], payload: [0]))
        assertThrowsMessage(
            try DataSource.fashionMNIST.files(dataDir: dir.path),
            contains: [
                "\(dir.path)/fashion-mnist/train-images-idx3-ubyte[.gz]: missing (expected the IDX file of training images",
                "data dir \(dir.path)",
            ])
        assertThrowsMessage(
            try DataSource.mnist.files(dataDir: dir.path + "/nowhere"),
            contains: ["nowhere/train-images-idx3-ubyte[.gz]: missing"])
    }
}
