/// A report that cannot be made at all. Anything less (a missing or broken file in a run
/// folder) is not an error: the report says what is missing.
public enum ReportError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path does not exist or holds none of config.yaml, metrics.jsonl, summary.json.
    case notARunFolder(path: String)
    /// `kd report` was given no folder.
    case noRuns

    public var description: String {
        switch self {
        case .notARunFolder(let path):
            return "\(path): not a kd run folder (no config.yaml, metrics.jsonl or summary.json)"
        case .noRuns: return "report: no run folders given"
        }
    }
}
