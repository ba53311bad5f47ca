import Distill
import Foundation
import XCTest

/// A small MNIST-style IDX folder cut from Fashion-MNIST, for runs that must be quick.
enum SmallData {
    /// Writes the four standard IDX files into `folder`: `train` training images (a seeded
    /// subset) and the first `test` test images, with their labels. Skips the test when
    /// dataset-fashion-mnist is not installed.
    static func writeFashionMNIST(to folder: URL, train: Int, test: Int) throws {
        try requireFashionMNIST()
        let splits = try DataSplits.load(DataConfig(source: .fashionMNIST, limit: train), seed: 0, dataDir: nil)
        let testSet = try TestData.load(source: "fashion-mnist", dataDirectory: nil)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write(
            splits.train, count: train, images: folder.appendingPathComponent("train-images-idx3-ubyte"),
            labels: folder.appendingPathComponent("train-labels-idx1-ubyte"))
        try write(
            testSet, count: test, images: folder.appendingPathComponent("t10k-images-idx3-ubyte"),
            labels: folder.appendingPathComponent("t10k-labels-idx1-ubyte"))
    }

    /// Skips the calling test when the Debian package dataset-fashion-mnist is not installed.
    static func requireFashionMNIST() throws {
        do {
            _ = try DataSource.fashionMNIST.files(dataDir: nil)
        } catch {
            throw XCTSkip("dataset-fashion-mnist not installed: \(error)")
        }
    }

    /// The first `count` samples of `dataset` ([1, H, W], pixels in [0, 1]) as IDX ubyte files.
    private static func write(_ dataset: Dataset, count: Int, images: URL, labels: URL) throws {
        let shape = dataset.sampleShape.suffix(2)
        var imageBytes = header(type: 3, dims: [count] + shape)
        imageBytes += dataset.samples[0..<(count * dataset.sampleSize)].map { UInt8(($0 * 255).rounded()) }
        var labelBytes = header(type: 1, dims: [count])
        labelBytes += dataset.labels[0..<count].map { UInt8($0) }
        try Data(imageBytes).write(to: images)
        try Data(labelBytes).write(to: labels)
    }

    /// The IDX magic (ubyte elements, `type` dimensions) and the big-endian dimensions.
    private static func header(type: UInt8, dims: [Int]) -> [UInt8] {
        [0, 0, 8, type] + dims.flatMap { d in (0..<4).reversed().map { UInt8((d >> (8 * $0)) & 0xff) } }
    }
}
