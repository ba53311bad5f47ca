import Foundation
import Yams

/// What a run folder holds, read for the report without trusting any of it: each file that is
/// missing or broken becomes a line of `problems`, never an error.
public struct RunRecord {
    /// The folder's absolute path, and its last path component (the run's name).
    public let folder: String
    public let name: String
    /// config.yaml as written (the resolved config); nil when missing.
    public let configText: String?
    /// `data.source` and `data.classes` of config.yaml.
    public let dataSource: String?
    public let configuredClasses: [String]?
    /// metrics.jsonl's lines that are JSON objects, in file order.
    public let metrics: [[String: Any]]
    /// summary.json; nil while the run is in progress, or when it was interrupted.
    public let summary: [String: Any]?
    /// What is missing or broken, one sentence each.
    public let problems: [String]

    /// Whether the run finished (it wrote summary.json).
    public var finished: Bool { summary != nil }

    /// Reads `folder`; throws only when it is not a run folder at all.
    public init(folder: String) throws {
        let url = URL(fileURLWithPath: folder)
        func text(_ file: String) -> String? {
            try? String(contentsOf: url.appendingPathComponent(file), encoding: .utf8)
        }
        let configText = text("config.yaml")
        let metricsText = text("metrics.jsonl")
        let summaryText = text("summary.json")
        guard configText != nil || metricsText != nil || summaryText != nil else {
            throw ReportError.notARunFolder(path: folder)
        }
        var problems: [String] = []
        if configText == nil { problems.append("config.yaml is missing: the config is not shown") }
        let config = configText.flatMap { try? Yams.load(yaml: $0) } as? [String: Any]
        if configText != nil && config == nil { problems.append("config.yaml is not a YAML mapping") }
        let data = config?["data"] as? [String: Any]
        dataSource = data?["source"] as? String
        configuredClasses = (data?["classes"] as? [Any])?.map { "\($0)" }

        var metrics: [[String: Any]] = []
        if let metricsText {
            for (number, line) in metricsText.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.isEmpty {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                    metrics.append(object)
                } else {
                    problems.append("metrics.jsonl line \(number + 1) is not a JSON object (cut short?): left out")
                }
            }
        } else {
            problems.append("metrics.jsonl is missing: no learning curves")
        }
        var summary: [String: Any]?
        if let summaryText {
            summary = try? JSONSerialization.jsonObject(with: Data(summaryText.utf8)) as? [String: Any]
            if summary == nil { problems.append("summary.json is not a JSON object: no comparison") }
        } else {
            problems.append(
                "summary.json is missing: the run is in progress or was interrupted; what exists so far is shown")
        }
        let classes = ((summary?["models"] as? [[String: Any]])?.first?["confusion"] as? [Any])?.count
        if let names = configuredClasses, let classes, names.count != classes {
            problems.append("data.classes has \(names.count) names for \(classes) classes: classes are shown by index")
        }
        for phase in Self.phases(of: metrics)
        where !FileManager.default.fileExists(atPath: url.appendingPathComponent("\(phase).safetensors").path) {
            problems.append("\(phase).safetensors is missing: the \(phase) model cannot be reloaded")
        }
        self.folder = url.standardizedFileURL.path
        name = url.standardizedFileURL.lastPathComponent
        self.configText = configText
        self.metrics = metrics
        self.summary = summary
        self.problems = problems
    }

    /// Phases in the order metrics.jsonl first names them.
    public var phases: [String] { Self.phases(of: metrics) }

    private static func phases(of metrics: [[String: Any]]) -> [String] {
        var seen: [String] = []
        for phase in metrics.compactMap({ $0["phase"] as? String }) where !seen.contains(phase) { seen.append(phase) }
        return seen
    }

    /// summary.json's model rows, in table order.
    var models: [[String: Any]] { summary?["models"] as? [[String: Any]] ?? [] }

    /// The class names for `count` classes (see `ClassNames`).
    func classNames(count: Int) -> [String] {
        ClassNames.names(count: count, configured: configuredClasses, source: dataSource)
    }
}
