import ArgumentParser
import Distill
import Foundation

/// `kd report`: rebuilds a run folder's report.html, or one page of several runs side by side.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the HTML report of run folders (one run: RUN_DIR/report.html; several side by side).")

    @Argument(help: "Run folders.")
    var runs: [String]

    @Option(help: "Output HTML file (default: <run>/report.html for one run, report.html here for several).")
    var out: String?

    func run() throws {
        try reportingErrors {
            let report = try RunReport(folders: runs)
            let path =
                out
                ?? (runs.count == 1
                    ? URL(fileURLWithPath: runs[0]).appendingPathComponent("report.html").path : "report.html")
            try report.write(to: path)
            print("wrote \(path)")
        }
    }
}
