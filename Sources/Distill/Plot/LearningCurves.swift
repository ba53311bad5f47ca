import FileSupport
import Foundation

/// Accuracy-per-epoch curves read from one or more run folders' metrics.jsonl: `kd plot`'s
/// chart, and the report's chart of every phase.
public struct LearningCurves {
    /// One line per phase of a run ("student", or "run/student" for several runs).
    public let series: [SVGChart.Series]
    /// Which accuracy was plotted: "test_acc", or "val_acc" when runs have no test split.
    public let metric: String

    /// Reads `runFolders`; series are named by phase, prefixed by the folder name when there
    /// are several folders.
    public init(runFolders: [String]) throws {
        var rows: [(run: String, entry: [String: Any])] = []
        for folder in runFolders {
            let path = URL(fileURLWithPath: folder).appendingPathComponent("metrics.jsonl").path
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw MetricsFileError.unreadable(file: path, folder: folder)
            }
            for (number, line) in text.split(separator: "\n").enumerated() {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw MetricsFileError.notJSON(file: path, line: number + 1)
                }
                rows.append((URL(fileURLWithPath: folder).lastPathComponent, object))
            }
        }
        try self.init(rows: rows, prefixingRuns: runFolders.count > 1, folders: runFolders)
    }

    /// Curves of metrics lines already read (`run` names each line's folder); `folders` are
    /// named in the error when no line has an accuracy.
    public init(rows: [(run: String, entry: [String: Any])], prefixingRuns: Bool, folders: [String]) throws {
        let metric = rows.contains { $0.entry["test_acc"] is Double } ? "test_acc" : "val_acc"
        var order: [String] = []
        var points: [String: [(Int, Double)]] = [:]
        for (run, entry) in rows {
            guard let phase = entry["phase"] as? String, let epoch = entry["epoch"] as? Int,
                let accuracy = entry[metric] as? Double
            else { continue }
            let name = prefixingRuns ? "\(run)/\(phase)" : phase
            if points[name] == nil { order.append(name) }
            points[name, default: []].append((epoch, accuracy))
        }
        guard !order.isEmpty else { throw MetricsFileError.noEpochs(metric: metric, folders: folders) }
        self.metric = metric
        series = order.map {
            SVGChart.Series(name: $0, points: points[$0]!.sorted { $0.0 < $1.0 }.map { (epoch: $0.0, value: $0.1) })
        }
    }

    /// The y-axis label of `metric`.
    public var yLabel: String { metric == "test_acc" ? "test accuracy (%)" : "validation accuracy (%)" }

    /// The chart as a standalone SVG document.
    public func svg(title: String) -> String {
        SVGChart(series: series, title: title, yLabel: yLabel).render()
    }

    /// Writes the chart to `path` atomically.
    public func writeSVG(title: String, to path: String) throws {
        try AtomicFile.write(Data(svg(title: title).utf8), to: URL(fileURLWithPath: path))
    }
}
