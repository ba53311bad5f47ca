import Foundation
import NN

/// The data of a run: training set, optional validation set (carved from the training pool) and
/// test set, all with the same sample shape and class count.
///
/// Order of operations (all draws from one generator seeded by the run seed):
/// 1. the training file is shuffled; the first `limit` samples form the pool (all when nil);
/// 2. `validation` (a count, or a fraction of the pool) is taken from the front of the pool,
///    the rest is the training set; both keep file order;
/// 3. `test_limit` keeps a seeded random subset of the test file, in file order;
/// 4. `normalize` is applied in place to every split.
public struct DataSplits: Sendable {
    public var train: Dataset
    public var validation: Dataset?
    /// Nil for one-split sources (`idx:IMAGES,LABELS`, `csv:TRAIN.csv`).
    public var test: Dataset?
    /// How each CSV file was read, training file first ("csv: 20 rows, header: no"), for
    /// `summary`; empty for IDX sources.
    public var readNotes: [String] = []
    /// Samples in the training file (before the validation hold-out and `limit`).
    public var trainFileCount = 0
    /// The training file's row of each training-split sample, in split order; nil when the
    /// split is the whole file in file order.
    public var trainFileRows: [Int]?

    /// The training file's row of training-split sample `i`.
    public func trainFileRow(_ i: Int) -> Int { trainFileRows?[i] ?? i }

    /// Classes (shared by every split: the largest class count among them, 10 for (Fashion-)MNIST).
    public var classCount: Int { train.classCount }
    /// Shape of one sample, [C, H, W] or [D].
    public var sampleShape: [Int] { train.sampleShape }

    /// Reads the files of `config.source` and splits them. `dataDir` is the `--data-dir`
    /// override for `fashion-mnist` and `mnist` (see `DataSource.files`).
    public static func load(_ config: DataConfig, seed: UInt64, dataDir: String? = nil) throws -> DataSplits {
        let known: Int? = (config.source == .fashionMNIST || config.source == .mnist) ? 10 : nil
        let label = config.source == .fashionMNIST ? "fashion-mnist" : config.source == .mnist ? "mnist" : nil
        let train: Dataset
        var test: Dataset?
        var notes: [String] = []
        switch try config.source.files(dataDir: dataDir) {
        case .idx(let ti, let tl, let si, let sl):
            train = try Dataset(idxImages: ti, labels: tl, name: label.map { "\($0)/train" } ?? ti, classCount: known)
            if let si, let sl {
                test = try Dataset(idxImages: si, labels: sl, name: label.map { "\($0)/test" } ?? si, classCount: known)
            }
        case .csv(let trainPath, let testPath):
            func read(_ path: String, note prefix: String) throws -> Dataset {
                let table = try CSVReader.read(path: path, options: config.csv)
                notes.append(prefix + table.summary)
                return try Dataset(csv: table, file: path)
            }
            train = try read(trainPath, note: "")
            if let testPath { test = try read(testPath, note: "test ") }
        }
        var splits = try split(train: train, test: test, config: config, seed: seed)
        splits.readNotes = notes
        return splits
    }

    /// Splits data sets already in memory (what `load` does after reading).
    public static func split(train full: Dataset, test fullTest: Dataset?, config: DataConfig, seed: UInt64) throws
        -> DataSplits
    {
        if let t = fullTest, t.sampleShape != full.sampleShape {
            throw DataError(
                t.name, "test samples have shape \(t.sampleShape), training samples \(full.sampleShape) (\(full.name))")
        }
        let classes = max(full.classCount, fullTest?.classCount ?? 0)
        var rng = SplitMix64(seed: seed ^ 0xD17A_5EED_0000_0001)
        let order = rng.permutation(full.count)

        var pool = full.count
        if let limit = config.limit {
            guard limit >= 1 else { throw DataError(full.name, "data.limit must be >= 1, got \(limit)") }
            pool = min(limit, full.count)
        }
        var validationCount = 0
        if let v = config.validation {
            validationCount = v.size(of: pool)
            guard validationCount < pool else {
                throw DataError(
                    full.name,
                    "validation of \(validationCount) samples leaves no training samples (training pool has \(pool))")
            }
        }

        var train: Dataset
        var validation: Dataset?
        var trainRows: [Int]?
        if pool == full.count && validationCount == 0 {
            train = full  // no copy
        } else {
            let rows = order[validationCount..<pool].sorted()
            trainRows = rows
            train = full.subset(rows, name: full.name)
            if validationCount > 0 {
                validation = full.subset(order[0..<validationCount].sorted(), name: full.name + " (validation)")
            }
        }
        var test = fullTest
        if let t = fullTest, let k = config.testLimit {
            guard k >= 1 else { throw DataError(t.name, "data.test_limit must be >= 1, got \(k)") }
            if k < t.count {
                var testRng = rng.split()
                test = t.subset(testRng.permutation(t.count).prefix(k).sorted(), name: t.name)
            }
        }
        train = try train.withClassCount(classes)
        validation = try validation?.withClassCount(classes)
        test = try test?.withClassCount(classes)
        if let n = config.normalize {
            try train.normalize(mean: n.mean, std: n.std)
            try validation?.normalize(mean: n.mean, std: n.std)
            try test?.normalize(mean: n.mean, std: n.std)
        }
        return DataSplits(
            train: train, validation: validation, test: test, trainFileCount: full.count, trainFileRows: trainRows)
    }
}

extension DataSplits {
    /// One line for the user: "fashion-mnist/train 55000, validation 5000, test 10000 of [1, 28, 28], 10 classes",
    /// with the read notes of CSV sources after it: "... 3 classes (csv: 20 rows, header: no)".
    public var summary: String {
        var parts = ["\(train.name) \(train.count)"]
        if let validation { parts.append("validation \(validation.count)") }
        if let test { parts.append("test \(test.count)") }
        let notes = readNotes.isEmpty ? "" : " (" + readNotes.joined(separator: "; ") + ")"
        return parts.joined(separator: ", ") + " samples of \(sampleShape), \(classCount) classes" + notes
    }
}
