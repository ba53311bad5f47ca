import Distill
import Foundation
import XCTest

/// The HTML run report from a hand-written run folder: its sections, its numbers (those of
/// summary.json and metrics.jsonl), class names, and folders with files missing or broken.
final class RunReportTests: XCTestCase {
    let metrics = """
        {"phase":"student","epoch":1,"loss":1.5,"loss_soft":0.25,"loss_hard":1.25,"train_acc":0.5,"val_acc":0.55,"test_acc":0.6,"lr":0.01}
        {"phase":"student","epoch":2,"loss":1.0,"loss_soft":0.2,"loss_hard":0.8,"train_acc":0.7,"val_acc":0.72,"test_acc":0.75,"lr":0.005}
        {"phase":"baseline","epoch":1,"loss":1.4,"train_acc":0.45,"val_acc":0.5,"test_acc":0.52,"lr":0.01}
        {"phase":"baseline","epoch":2,"loss":1.1,"train_acc":0.6,"val_acc":0.62,"test_acc":0.7,"lr":0.005}

        """

    /// A three-class run: teacher, student and baseline rows with per-class results.
    func summary(machine: Bool = true) -> String {
        func model(_ name: String, _ accuracy: Double, _ perClass: [Double], _ confusion: [[Int]]) -> String {
            """
            {"name": "\(name)", "parameters": 1000, "bytes": 4000, "mflops_per_sample": 0.002, "accuracy": \(accuracy),
             "agreement_with_teacher": 0.9, "kl_from_teacher": 0.125, "ece": 0.0625, "non_finite_outputs": 0,
             "latency_ms_batch1": 0.5, "latency_ms_per_sample_batch256": 0.01, "loss": 0.7,
             "per_class_accuracy": \(perClass), "confusion": \(confusion)}
            """
        }
        return """
            {"data": "csv:toy.csv", "samples": 30, "mode": "standard",
             \(machine ? #""machine": {"cpus": 2, "threads": 2, "os": "TestOS 1"},"# : "")
             "models": [\(model("teacher", 0.9, [1, 0.9, 0.8], [[10, 0, 0], [1, 9, 0], [0, 2, 8]])),
                        \(model("student", 0.8, [1, 0.5, 0.9], [[10, 0, 0], [5, 5, 0], [0, 1, 9]])),
                        \(model("baseline", 0.7, [0.8, 0.7, 0.6], [[8, 2, 0], [3, 7, 0], [0, 4, 6]]))]}
            """
    }

    func writeRun(_ dir: TempDir, _ name: String = "run", config: String = "data:\n  source: csv:toy.csv\n") throws {
        try dir.write("\(name)/config.yaml", config)
        try dir.write("\(name)/metrics.jsonl", metrics)
        try dir.write("\(name)/summary.json", summary())
        for phase in ["student", "baseline"] { try dir.write("\(name)/\(phase).safetensors", "x") }
    }

    func html(_ folders: [String]) throws -> String { try RunReport(folders: folders).html }

    func testSectionsAndNumbersOfAFinishedRun() throws {
        let dir = try TempDir()
        try writeRun(dir, config: "data:\n  source: csv:toy.csv\n  classes: [cat, dog, \"b<ird\"]\n")
        let page = try html([dir.url.appendingPathComponent("run").path])
        for id in [
            "run-run-comparison", "run-run-curves", "run-run-per-class", "run-run-gained-lost", "run-run-confusion",
        ] {
            XCTAssertTrue(page.contains(#"id="\#(id)""#), id)
        }
        XCTAssertTrue(page.contains(#"<span class="status finished">"#))
        XCTAssertFalse(page.contains("<script"), "no script")
        XCTAssertFalse(page.contains("http://") && page.contains("<link"), "no external resources")
        // The comparison row of the student, as kd compare prints it, and its differences.
        XCTAssertTrue(
            page.contains(
                "<tr><td>student</td><td>1000</td><td>3.9 KiB</td><td>0.002</td><td>80.00%</td><td>90.00%</td><td>0.1250</td><td>0.0625</td><td>0.500</td><td>0.0100</td><td>-10.00 pp</td><td>1x</td><td>1x</td></tr>"
            ), page)
        // Class names from data.classes (escaped), per-class accuracy, gained and lost.
        XCTAssertTrue(page.contains("<tr><td>dog</td><td>90.00%</td><td>50.00%</td><td>70.00%</td></tr>"))
        XCTAssertTrue(page.contains("<tr><td>b&lt;ird</td><td>90.00%</td><td>60.00%</td><td>+30.00 pp</td></tr>"))
        XCTAssertTrue(page.contains("<tr><td>dog</td><td>50.00%</td><td>70.00%</td><td>-20.00 pp</td></tr>"))
        // Heat maps of teacher and student (not the baseline), with the counts.
        XCTAssertEqual(page.components(separatedBy: "predicted class (rows: true class)").count - 1, 2)
        XCTAssertTrue(page.contains("<title>dog as cat: 5</title>"))
        // Curves: the last test accuracy and the soft part of the loss, as metrics.jsonl has them.
        XCTAssertTrue(page.contains("test 75.00%"))
        XCTAssertTrue(page.contains("train soft 0.2<"))
        XCTAssertTrue(page.contains("student: learning rate"))
        XCTAssertTrue(page.contains("machine: 2 CPUs, 2 compute threads, TestOS 1"))
    }

    func testBornAgainEnsembleRow() throws {
        let dir = try TempDir()
        try writeRun(dir)
        try dir.write(
            "run/summary.json",
            summary().replacingOccurrences(
                of: #""mode": "standard","#,
                with: #""mode": "born-again", "ensemble": {"members": ["student"], "accuracy": 0.85},"#))
        let page = try html([dir.url.appendingPathComponent("run").path])
        XCTAssertTrue(
            page.contains(
                #"<tr><td><abbr title="mean softmax of student">ensemble</abbr></td><td></td><td></td><td></td><td>85.00%</td><td></td><td></td><td></td><td></td><td></td><td>-5.00 pp</td>"#
            ), page)
        XCTAssertTrue(page.contains("mode born-again"))
    }

    func testIndicesWithoutClassNamesAndSideBySide() throws {
        let dir = try TempDir()
        try writeRun(dir, "a")
        try writeRun(dir, "b")
        let page = try html(["a", "b"].map { dir.url.appendingPathComponent($0).path })
        XCTAssertTrue(page.contains(#"id="side-by-side""#))
        XCTAssertTrue(page.contains("<tr><td>student</td><td>80.00%</td><td>80.00%</td></tr>"))
        XCTAssertTrue(page.contains("a/student 75.00%"))
        XCTAssertTrue(page.contains("<tr><td>1</td><td>90.00%</td><td>50.00%</td><td>70.00%</td></tr>"))

        // data.classes with the wrong count: indices, and a line saying why.
        try writeRun(dir, "c", config: "data:\n  source: csv:toy.csv\n  classes: [cat, dog]\n")
        let wrong = try html([dir.url.appendingPathComponent("c").path])
        XCTAssertTrue(wrong.contains("data.classes has 2 names for 3 classes: classes are shown by index"))
        XCTAssertTrue(wrong.contains("<tr><td>1</td><td>90.00%</td>"))
    }

    func testPartialFoldersSayWhatIsMissing() throws {
        let dir = try TempDir()
        // In progress: no summary.json, a line cut short, a phase without its checkpoint.
        try dir.write("run/config.yaml", "data: {source: fashion-mnist}\n")
        try dir.write("run/metrics.jsonl", metrics + #"{"phase":"baseline","epo"#)
        try dir.write("run/student.safetensors", "x")
        let page = try html([dir.url.appendingPathComponent("run").path])
        XCTAssertTrue(page.contains(#"<span class="status incomplete">in progress or interrupted</span>"#))
        XCTAssertTrue(page.contains("summary.json is missing: the run is in progress or was interrupted"))
        XCTAssertTrue(page.contains("metrics.jsonl line 5 is not a JSON object (cut short?)"))
        XCTAssertTrue(page.contains("baseline.safetensors is missing"))
        XCTAssertFalse(page.contains("student.safetensors is missing"))
        XCTAssertTrue(page.contains("test 70.00%"), "the curves so far are drawn")
        XCTAssertFalse(page.contains("-comparison"))

        // No metrics.jsonl, summary.json not JSON, no config.yaml.
        try dir.write("other/summary.json", "{\"data\":")
        let other = try html([dir.url.appendingPathComponent("other").path])
        for text in ["metrics.jsonl is missing", "summary.json is not a JSON object", "config.yaml is missing"] {
            XCTAssertTrue(other.contains(text), text)
        }

        // An older run's summary.json without per-class results or machine.
        try dir.write(
            "old/summary.json",
            summary(machine: false).replacingOccurrences(of: "\"per_class_accuracy\"", with: "\"x\""))
        let old = try html([dir.url.appendingPathComponent("old").path])
        XCTAssertTrue(old.contains("summary.json has no per-class results"))
        XCTAssertTrue(old.contains("machine: not recorded"))
    }

    func testNotARunFolderIsOneError() throws {
        let dir = try TempDir()
        XCTAssertThrowsError(try RunReport(folders: [dir.url.appendingPathComponent("nothing").path])) {
            XCTAssertEqual(
                "\($0)",
                "\(dir.url.appendingPathComponent("nothing").path): not a kd run folder (no config.yaml, metrics.jsonl or summary.json)"
            )
        }
        XCTAssertThrowsError(try RunReport(folders: [])) { XCTAssertEqual($0 as? ReportError, .noRuns) }
    }
}
