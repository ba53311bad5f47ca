import ArgumentParser
import Distill

/// `--data-dir DIR`: where the `fashion-mnist` and `mnist` sources find their files.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"),
            help: ArgumentHelp("Folder of the fashion-mnist / mnist files (default: KD_DATA_DIR, then the Debian package's folder).",
                               valueName: "dir"))
    var path: String?

    /// `--data-dir`, else KD_DATA_DIR, else nil (the Debian package's folder).
    var resolved: String? { path ?? DataSource.environmentDataDir() }
}
