/// A run's metrics.jsonl that cannot be read or holds no epochs to draw. One line naming the file.
public enum MetricsFileError: Error, CustomStringConvertible, Equatable, Sendable {
    case unreadable(file: String, folder: String)
    /// Line `line` (1-based) is not a JSON object.
    case notJSON(file: String, line: Int)
    /// No line of any of `folders` has the `metric` field.
    case noEpochs(metric: String, folders: [String])

    public var description: String {
        switch self {
        case .unreadable(let file, let folder): return "\(file): cannot read metrics (is \(folder) a kd run folder?)"
        case .notJSON(let file, let line): return "\(file):\(line): not a JSON object"
        case .noEpochs(let metric, let folders): return "no epochs with \(metric) in \(folders.joined(separator: ", "))"
        }
    }
}
