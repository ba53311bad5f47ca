import ArgumentParser

/// `--json`: how a report command prints its result.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object instead of the text report.")
    var json = false
}
