import FileSupport
import Foundation

/// The HTML report of one or more run folders: one self-contained page (inline SVG and CSS, no
/// script, no network) that any browser opens from disk. For several runs, a side-by-side
/// table and chart come first, then each run in full.
public struct RunReport {
    public let runs: [RunRecord]

    public init(runs: [RunRecord]) { self.runs = runs }

    /// Reads every folder (see `RunRecord`); throws only for a path that is no run folder.
    public init(folders: [String]) throws {
        guard !folders.isEmpty else { throw ReportError.noRuns }
        runs = try folders.map { try RunRecord(folder: $0) }
    }

    /// Writes the page to `path` atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(Data(html.utf8), to: URL(fileURLWithPath: path))
    }

    /// The whole page.
    public var html: String {
        let title = "kd report: " + runs.map(\.name).joined(separator: ", ")
        var body = ["<h1>\(SVGText.escape(title))</h1>"]
        if runs.count > 1 { body.append(sideBySide) }
        body += runs.map(section)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(SVGText.escape(title))</title>
            <style>
            \(ReportStyle.css)
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// Every run's models' test accuracy in one table (a column per run) and every run's test
    /// accuracy curves on one chart (`kd plot`'s chart of the same folders).
    private var sideBySide: String {
        var names: [String] = []
        for name in runs.flatMap({ $0.models.compactMap { $0["name"] as? String } }) where !names.contains(name) {
            names.append(name)
        }
        let rows = names.map { name in
            [SVGText.escape(name)]
                + runs.map { run in
                    ReportNumber.percent(run.models.first { $0["name"] as? String == name }?["accuracy"] as? Double)
                }
        }
        var out = [
            #"<section id="side-by-side"><h2>Runs side by side</h2><h3>test accuracy</h3><div class="scroll">"#,
            HTMLTable(header: ["model"] + runs.map { SVGText.escape($0.name) }, rows: rows).html, "</div>",
        ]
        let rowsOfAll = runs.flatMap { run in run.metrics.map { (run: run.name, entry: $0) } }
        if let curves = try? LearningCurves(rows: rowsOfAll, prefixingRuns: true, folders: runs.map(\.folder)) {
            out.append(
                #"<figure>\#(SVGChart(series: curves.series, title: "every phase of every run", yLabel: curves.yLabel).render())</figure>"#
            )
        }
        out.append("</section>")
        return out.joined(separator: "\n")
    }

    /// One run: status and problems, comparison, curves, per-class results, config and machine.
    private func section(_ run: RunRecord) -> String {
        let id = "run-" + run.name.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        let mode = (run.summary?["mode"] as? String).map { " · mode \(SVGText.escape($0))" } ?? ""
        let status =
            run.finished
            ? #"<span class="status finished">finished</span>"#
            : #"<span class="status incomplete">in progress or interrupted</span>"#
        var out = [
            #"<section class="run" id="\#(id)"><h2>\#(SVGText.escape(run.name)) \#(status)</h2>"#,
            #"<p class="meta">\#(SVGText.escape(run.folder))\#(mode)</p>"#,
        ]
        if !run.problems.isEmpty {
            out.append(
                #"<ul class="problems" id="\#(id)-missing">"#
                    + run.problems.map { "<li>\(SVGText.escape($0))</li>" }.joined() + "</ul>")
        }
        let tables = ComparisonSection(run: run)
        if run.finished {
            out.append(#"<h3 id="\#(id)-comparison">comparison</h3><div class="scroll">"#)
            out.append(tables.comparisonTable + "</div>")
            out.append(#"<p class="note">\#(tables.note)</p>"#)
        }
        out.append(curves(run, id: id))
        if run.finished { out.append(perClass(tables, run: run, id: id)) }
        out.append(#"<h3 id="\#(id)-config">config (resolved) and machine</h3>"#)
        out.append(machine(run))
        out.append("<pre>\(SVGText.escape(run.configText ?? "(config.yaml is missing)"))</pre>")
        out.append("</section>")
        return out.joined(separator: "\n")
    }

    private func curves(_ run: RunRecord, id: String) -> String {
        guard !run.metrics.isEmpty else { return "" }
        var out = [#"<h3 id="\#(id)-curves">learning curves</h3>"#]
        let rows = run.metrics.map { (run: run.name, entry: $0) }
        if let curves = try? LearningCurves(rows: rows, prefixingRuns: false, folders: [run.folder]) {
            let chart = SVGChart(series: curves.series, title: "every phase", yLabel: curves.yLabel, height: 320)
            out.append(#"<figure class="overview">\#(chart.render())</figure>"#)
        }
        for phase in run.phases {
            let charts = PhaseCharts(phase: phase, entries: run.metrics.filter { $0["phase"] as? String == phase })
            out.append(#"<h4>\#(SVGText.escape(phase))</h4><div class="charts">"#)
            out += charts.svgs.map { "<figure>\($0)</figure>" }
            out.append("</div>")
        }
        return out.joined(separator: "\n")
    }

    private func perClass(_ tables: ComparisonSection, run: RunRecord, id: String) -> String {
        guard let table = tables.perClassTable else {
            return "<p class=\"note\">summary.json has no per-class results (written by an older kd)</p>"
        }
        var out = [
            #"<div class="row"><div><h3 id="\#(id)-per-class">per-class test accuracy</h3><div class="scroll">"#, table,
            "</div></div>",
        ]
        if let changes = tables.gainedAndLost {
            out.append(#"<div><h3 id="\#(id)-gained-lost">\#(tables.distilledName ?? "") against the baseline</h3>"#)
            out.append(changes + "</div>")
        }
        out.append("</div>")
        out.append(#"<h3 id="\#(id)-confusion">confusion matrices (test set)</h3><div class="charts wide">"#)
        for (name, counts) in tables.confusions where name != "baseline" {
            let map = HeatMap(title: name, counts: counts, classNames: run.classNames(count: counts.count))
            out.append("<figure>\(map.render())</figure>")
        }
        out.append("</div>")
        return out.joined(separator: "\n")
    }

    private func machine(_ run: RunRecord) -> String {
        guard let machine = run.summary?["machine"] as? [String: Any] else {
            return #"<p class="note">machine: not recorded (no summary.json, or written by an older kd)</p>"#
        }
        let cpus = machine["cpus"].map { "\($0)" } ?? "?"
        let threads = machine["threads"].map { "\($0)" } ?? "?"
        let os = SVGText.escape(machine["os"] as? String ?? "?")
        return "<p>machine: \(cpus) CPUs, \(threads) compute threads, \(os)</p>"
    }
}
