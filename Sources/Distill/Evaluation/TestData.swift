import Foundation
import NN

/// The data set `kd evaluate` and `kd compare` measure on: the test split of a source, or its
/// only split for one-file sources, normalised as the models were trained.
public enum TestData {
    /// Loads `source` (e.g. "fashion-mnist", "idx:DIR", "csv:FILE") and applies `normalization`.
    public static func load(source: String, dataDirectory: String?, normalization: Normalization? = nil) throws
        -> Dataset
    {
        let parsed = try DataSource(parsing: source)
        var dataset: Dataset
        if case .idx(_, _, let images?, let labels?) = try parsed.files(dataDir: dataDirectory) {
            // Only the test files: the training images are not needed to evaluate.
            let named = parsed == .fashionMNIST || parsed == .mnist
            dataset = try Dataset(
                idxImages: images, labels: labels, name: named ? "\(parsed.text)/test" : images,
                classCount: named ? 10 : nil)
        } else {
            let splits = try DataSplits.load(DataConfig(source: parsed), seed: 0, dataDir: dataDirectory)
            dataset = splits.test ?? splits.train
        }
        if let normalization { try dataset.normalize(mean: normalization.mean, std: normalization.std) }
        return dataset
    }
}
