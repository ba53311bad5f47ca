import Foundation
import NN

/// The data set `kd evaluate` and `kd compare` measure on: the test split of a source, or its
/// only split for one-file sources, normalised as the models were trained.
public enum TestData {
    /// Loads `source` (e.g. "fashion-mnist", "idx:DIR", "csv:FILE") and applies `normalization`.
    public static func load(source: String, dataDirectory: String?, normalization: Normalization? = nil) throws -> Dataset {
        let config = DataConfig(source: try DataSource(parsing: source))
        let splits = try DataSplits.load(config, seed: 0, dataDir: dataDirectory ?? DataSource.environmentDataDir())
        var dataset = splits.test ?? splits.train
        if let normalization { try dataset.normalize(mean: normalization.mean, std: normalization.std) }
        return dataset
    }
}
