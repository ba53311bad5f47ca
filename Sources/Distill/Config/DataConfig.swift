import Foundation

/// How much of the training set to hold out for validation.
public enum ValidationSplit: Equatable, Sendable {
    /// This many samples.
    case count(Int)
    /// This fraction (0 < f < 1) of the training pool, rounded down.
    case fraction(Double)

    /// The number of samples held out of a pool of `n`.
    public func size(of n: Int) -> Int {
        switch self {
        case .count(let k): return k
        case .fraction(let f): return Int((Double(n) * f).rounded(.down))
        }
    }
}

/// Per-channel standardisation: x = (x - mean[c]) / std[c].
public struct Normalization: Equatable, Codable, Sendable {
    public var mean: [Float]
    public var std: [Float]
    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }
}

/// The `data:` section of a run config.
public struct DataConfig: Equatable, Sendable {
    /// Where the data comes from (file paths already resolved against the config's folder).
    public var source: DataSource
    /// Held out of the training pool for validation; nil: no validation set.
    public var validation: ValidationSplit?
    /// Training pool: the first `limit` training samples after a seeded shuffle; nil: all.
    public var limit: Int?
    /// Test set: a seeded random `testLimit` samples (kept in file order); nil: all.
    public var testLimit: Int?
    /// Per-channel normalisation applied to every split; nil: none.
    public var normalize: Normalization?
    /// CSV reading options (for csv: sources).
    public var csv: CSVOptions
    /// Training-time augmentation of the train split; nil: none.
    public var augment: AugmentConfig?
    /// `data.classes`: a name per class, in label order, for the report; nil: the data set's own
    /// (Fashion-MNIST's) or the indices.
    public var classes: [String]?

    public init(
        source: DataSource = .fashionMNIST, validation: ValidationSplit? = nil, limit: Int? = nil,
        testLimit: Int? = nil, normalize: Normalization? = nil, csv: CSVOptions = CSVOptions(),
        augment: AugmentConfig? = nil, classes: [String]? = nil
    ) {
        self.source = source
        self.validation = validation
        self.limit = limit
        self.testLimit = testLimit
        self.normalize = normalize
        self.csv = csv
        self.augment = augment
        self.classes = classes
    }
}
