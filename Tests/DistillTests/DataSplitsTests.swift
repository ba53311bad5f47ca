import Distill
import Foundation
import NN
import XCTest

final class DataSplitsTests: XCTestCase {
    /// n samples of shape [1, 1, 2]: sample i holds (i, -i), label i % 3.
    func makeDataset(_ n: Int, name: String = "toy") throws -> Dataset {
        try Dataset(
            name: name, samples: (0..<n).flatMap { [Float($0), -Float($0)] }, sampleShape: [1, 1, 2],
            labels: (0..<n).map { Int32($0 % 3) })
    }

    func testValidationCarveLimitAndTestLimit() throws {
        let full = try makeDataset(100)
        let test = try makeDataset(40, name: "toy-test")
        var config = DataConfig(source: .fashionMNIST, validation: .count(10))
        var s = try DataSplits.split(train: full, test: test, config: config, seed: 7)
        XCTAssertEqual(s.train.count, 90)
        XCTAssertEqual(s.validation?.count, 10)
        XCTAssertEqual(s.test?.count, 40)
        // Train and validation partition the set.
        let ids = (s.train.samples + (s.validation?.samples ?? [])).enumerated().filter { $0.offset % 2 == 0 }.map {
            Int($0.element)
        }
        XCTAssertEqual(ids.sorted(), Array(0..<100))

        config.validation = .fraction(0.25)
        config.limit = 40
        config.testLimit = 15
        s = try DataSplits.split(train: full, test: test, config: config, seed: 7)
        XCTAssertEqual(s.train.count, 30)
        XCTAssertEqual(s.validation?.count, 10)
        XCTAssertEqual(s.test?.count, 15)
        // Labels follow their samples.
        for i in 0..<s.train.count { XCTAssertEqual(Int(s.train.labels[i]), Int(s.train.samples[2 * i]) % 3) }

        config.validation = .count(40)
        assertThrowsMessage(
            try DataSplits.split(train: full, test: test, config: config, seed: 7),
            contains: ["toy: validation of 40 samples leaves no training samples (training pool has 40)"])
    }

    /// Each training sample's row in the training file (what `teacher.logits` rows are
    /// gathered by): sample i of a toy set holds (i, -i), so the row is its first value.
    func testTrainFileRowsNameEachSamplesRowInTheFile() throws {
        let full = try makeDataset(100)
        let whole = try DataSplits.split(train: full, test: nil, config: DataConfig(source: .fashionMNIST), seed: 7)
        XCTAssertNil(whole.trainFileRows)
        XCTAssertEqual(whole.trainFileCount, 100)
        XCTAssertEqual(whole.trainFileRow(42), 42)
        let config = DataConfig(source: .fashionMNIST, validation: .count(10), limit: 60)
        let s = try DataSplits.split(train: full, test: nil, config: config, seed: 7)
        XCTAssertEqual(s.trainFileCount, 100)
        XCTAssertEqual(s.trainFileRows?.count, 50)
        for i in 0..<s.train.count { XCTAssertEqual(Int(s.train.sample(i).first!), s.trainFileRow(i)) }
        XCTAssertNotEqual(s.trainFileRows, Array(0..<50))
    }

    func testSeededShuffleReproducible() throws {
        let full = try makeDataset(200)
        let config = DataConfig(source: .fashionMNIST, limit: 50)
        let a = try DataSplits.split(train: full, test: nil, config: config, seed: 1)
        let b = try DataSplits.split(train: full, test: nil, config: config, seed: 1)
        let c = try DataSplits.split(train: full, test: nil, config: config, seed: 2)
        XCTAssertEqual(a.train.samples, b.train.samples)
        XCTAssertNotEqual(a.train.samples, c.train.samples)
        XCTAssertEqual(a.train.count, 50)

        let it1 = try BatchIterator(dataset: full, batchSize: 16, seed: 3)
        let it2 = try BatchIterator(dataset: full, batchSize: 16, seed: 3)
        let it3 = try BatchIterator(dataset: full, batchSize: 16, seed: 4)
        var o1 = [Int]()
        var o2 = [Int]()
        var o3 = [Int]()
        while it1.next() { o1 += it1.indices }
        while it2.next() { o2 += it2.indices }
        while it3.next() { o3 += it3.indices }
        XCTAssertEqual(o1, o2)
        XCTAssertNotEqual(o1, o3)
        XCTAssertNotEqual(o1, Array(0..<200))
    }

    func testNormalizePerChannel() throws {
        var ds = try Dataset(name: "rgb", samples: [1, 2, 3, 4, 5, 6], sampleShape: [3, 1, 2], labels: [0])
        try ds.normalize(mean: [1, 2, 3], std: [1, 2, 4])
        XCTAssertEqual(ds.samples, [0, 1, 0.5, 1, 0.5, 0.75])
        assertThrowsMessage(
            try ds.normalize(mean: [0.5], std: [0.5]),
            contains: ["rgb: normalize needs one mean and one std per channel: samples [3, 1, 2] have 3 channels"])
        let full = try makeDataset(10)
        let s = try DataSplits.split(
            train: full, test: nil,
            config: DataConfig(normalize: Normalization(mean: [1], std: [2])), seed: 0)
        XCTAssertEqual(Array(s.train.sample(3)), [1, -2])
    }

    func testBatchIteratorCoversEveryIndexOnceAndReusesBuffers() throws {
        let ds = try makeDataset(10)
        let it = try BatchIterator(dataset: ds, batchSize: 4, seed: 11)
        XCTAssertEqual(it.batchesPerEpoch, 3)
        let tensor = it.inputs
        for _ in 0..<3 {
            it.startEpoch()
            var seen = [Int]()
            var sizes = [Int]()
            while it.next() {
                XCTAssertTrue(it.inputs === tensor)
                sizes.append(it.inputs.batch)
                XCTAssertEqual(it.inputs.shape, [it.indices.count, 1, 1, 2])
                XCTAssertEqual(it.labels.count, it.indices.count)
                for (k, i) in it.indices.enumerated() {
                    XCTAssertEqual(it.inputs.data[2 * k], Float(i))
                    XCTAssertEqual(it.inputs.data[2 * k + 1], -Float(i))
                    XCTAssertEqual(it.labels[k], ds.labels[i])
                }
                seen += it.indices
            }
            XCTAssertEqual(sizes, [4, 4, 2])
            XCTAssertEqual(seen.sorted(), Array(0..<10))
        }
        XCTAssertEqual(it.epoch, 3)

        let dropping = try BatchIterator(dataset: ds, batchSize: 4, seed: 11, dropLast: true)
        XCTAssertEqual(dropping.batchesPerEpoch, 2)
        var n = 0
        while dropping.next() {
            n += 1
            XCTAssertEqual(dropping.inputs.batch, 4)
        }
        XCTAssertEqual(n, 2)

        let ordered = try BatchIterator(dataset: ds, batchSize: 3, seed: 0, shuffle: false)
        var seen = [Int]()
        while ordered.next() { seen += ordered.indices }
        XCTAssertEqual(seen, Array(0..<10))

        assertThrowsMessage(
            try BatchIterator(dataset: ds, batchSize: 0, seed: 0), contains: ["toy: batch size must be >= 1, got 0"])
    }

    func testBatchStorageNotReallocatedAfterFirstEpoch() throws {
        let ds = try makeDataset(10)
        let it = try BatchIterator(dataset: ds, batchSize: 4, seed: 1)
        while it.next() {}
        it.startEpoch()
        var addresses = Set<UnsafeMutablePointer<Float>>()
        while it.next() {
            _ = it.inputs.data.withUnsafeMutableBufferPointer { addresses.insert($0.baseAddress!) }
        }
        XCTAssertEqual(addresses.count, 1)
    }

    func testSourceParsing() throws {
        XCTAssertEqual(try DataSource(parsing: "fashion-mnist"), .fashionMNIST)
        XCTAssertEqual(try DataSource(parsing: "mnist"), .mnist)
        XCTAssertEqual(try DataSource(parsing: "idx:/d"), .idxDirectory("/d"))
        XCTAssertEqual(
            try DataSource(parsing: "idx:a,b"),
            .idxFiles(trainImages: "a", trainLabels: "b", testImages: nil, testLabels: nil))
        XCTAssertEqual(try DataSource(parsing: "csv:a.csv,b.csv").text, "csv:a.csv,b.csv")
        assertThrowsMessage(
            try DataSource(parsing: "cifar10"),
            contains: ["cifar10: unknown data source (expected fashion-mnist, mnist, idx:DIR"])
        assertThrowsMessage(
            try DataSource(parsing: "idx:a,b,c"),
            contains: ["idx: takes a folder, IMAGES,LABELS or four files, got 3 paths"])
    }

    func testIDXFolderSourceWithAndWithoutGzip() throws {
        let dir = try TempDir()
        try dir.write(
            "train-images-idx3-ubyte.gz",
            bytes: try Gzip.compress(idxBytes(dims: [4, 1, 2], payload: [0, 255, 1, 2, 3, 4, 5, 6])))
        try dir.write("train-labels-idx1-ubyte", bytes: idxBytes(dims: [4], payload: [0, 1, 2, 1]))
        try dir.write("t10k-images-idx3-ubyte", bytes: idxBytes(dims: [1, 1, 2], payload: [9, 9]))
        assertThrowsMessage(
            try DataSplits.load(DataConfig(source: .idxDirectory(dir.path)), seed: 0, dataDir: nil),
            contains: [
                "\(dir.path)/t10k-labels-idx1-ubyte[.gz]: missing (expected the IDX file of test labels for idx:\(dir.path))"
            ])
        try dir.write("t10k-labels-idx1-ubyte.gz", bytes: try Gzip.compress(idxBytes(dims: [1], payload: [2])))
        let s = try DataSplits.load(DataConfig(source: .idxDirectory(dir.path)), seed: 0, dataDir: nil)
        XCTAssertEqual(s.train.sampleShape, [1, 1, 2])
        XCTAssertEqual(Array(s.train.sample(0)), [0, 1])
        XCTAssertEqual(s.test?.labels, [2])
        XCTAssertEqual(s.classCount, 3)

        let source = try DataSource(parsing: "idx:\(dir.path)/t10k-images-idx3-ubyte,\(dir.path)/nolabels")
        assertThrowsMessage(
            try DataSplits.load(DataConfig(source: source), seed: 0, dataDir: nil),
            contains: ["\(dir.path)/nolabels: no such file (expected an IDX file of training labels)"])
    }
}
