import ArgumentParser
import Distill

/// `--data-dir DIR`: where the `fashion-mnist` and `mnist` sources find their files.
struct DataDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "Folder of the fashion-mnist / mnist files (default: KD_DATA_DIR, then the Debian package's folder).",
            valueName: "dir"))
    /// `--data-dir`; without it the library falls back to KD_DATA_DIR (`DataSource.files`).
    var path: String?
}
