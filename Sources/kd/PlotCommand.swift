import ArgumentParser
import Distill
import Foundation

/// `kd plot`: learning curves of one or more runs as an SVG chart.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Draw accuracy per epoch of every phase of run folders (SVG from metrics.jsonl)."
    )

    @Argument(help: "Run folders (each holding metrics.jsonl).")
    var runs: [String]

    @Option(help: "Output SVG file (default: <first run>/learning-curves.svg).")
    var out: String?

    @Option(help: "Chart title (default: the run folder names).")
    var title: String?

    func run() throws {
        try reportingErrors {
            guard let first = runs.first else { throw ValidationError("give at least one run folder") }
            let curves = try LearningCurves(runFolders: runs)
            let path = out ?? URL(fileURLWithPath: first).appendingPathComponent("learning-curves.svg").path
            let names = runs.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")
            try curves.writeSVG(title: title ?? names, to: path)
            print("wrote \(path) (\(curves.series.count) series)")
        }
    }
}
