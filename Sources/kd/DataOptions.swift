import ArgumentParser
import Distill

/// `--data SOURCE` and `--data-dir DIR`: the test set a command measures on.
struct DataOptions: ParsableArguments {
    @Option(
        name: .customLong("data"),
        help: ArgumentHelp(
            "Data source, its test split (a one-file source: all of it): \(DataSource.forms).",
            valueName: "source"))
    var source = "fashion-mnist"

    @OptionGroup var directory: DataDirectoryOption

    /// The test set of `source`, with `normalization` applied (nil: the pixels scaled to [0, 1]).
    func testSet(normalization: Normalization? = nil) throws -> Dataset {
        try TestData.load(source: source, dataDirectory: directory.path, normalization: normalization)
    }
}
