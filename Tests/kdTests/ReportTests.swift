import Foundation
import XCTest

/// `kd distill` ends by writing report.html, whose numbers are those of summary.json and
/// metrics.jsonl; `kd report` rebuilds it, puts runs side by side, and fails in one line on a
/// folder that is no run.
final class ReportTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        try SmallData.requireFashionMNIST()
        folder = try KDProcess.temporaryFolder()
        try """
        input: [1, 28, 28]
        layers:
          - flatten
          - linear: {out: 16}
          - relu
          - linear: {out: 10}
        """.write(to: folder.appendingPathComponent("small.yaml"), atomically: true, encoding: .utf8)
        try """
        name: tiny
        seed: 5
        data: {source: fashion-mnist, limit: 400, test_limit: 200, validation: 100}
        training: {epochs: 2, batch_size: 50, optimizer: {name: adam, lr: 0.003}}
        teacher: {model: small.yaml}
        student: {model: small.yaml}
        distillation: {temperature: 3, alpha: 0.7, baseline: true}
        """.write(to: folder.appendingPathComponent("tiny.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent(path))) as! [String: Any]
    }

    func testDistillWritesTheReportAndKdReportRebuildsIt() throws {
        let distill = try KDProcess.run(["distill", "--config", "tiny.yaml", "--out", "runs/a"], in: folder)
        XCTAssertEqual(distill.status, 0, distill.stderr)
        let report = folder.appendingPathComponent("runs/a/report.html")
        XCTAssertTrue(distill.stdout.hasSuffix("report: \(report.path)\n"), distill.stdout)
        let page = try String(contentsOf: report, encoding: .utf8)

        // Every model's accuracy and per-class accuracy as summary.json has them, class names
        // of Fashion-MNIST, and the machine.
        let summary = try json("runs/a/summary.json")
        let models = try XCTUnwrap(summary["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["name"] as? String }, ["teacher", "student", "baseline"])
        for model in models {
            let accuracy = try XCTUnwrap(model["accuracy"] as? Double)
            XCTAssertTrue(
                page.contains("<tr><td>\(model["name"]!)</td><td>\(model["parameters"]!)</td>"), "\(model["name"]!)")
            XCTAssertTrue(page.contains(String(format: "<td>%.2f%%</td>", 100 * accuracy)))
            XCTAssertEqual((model["per_class_accuracy"] as? [Any])?.count, 10)
            XCTAssertEqual((model["confusion"] as? [[Int]])?.joined().reduce(0, +), 200)
        }
        let perClass = try XCTUnwrap(models[1]["per_class_accuracy"] as? [Double])
        XCTAssertTrue(
            page.contains(
                String(
                    format: "<tr><td>Ankle boot</td><td>%.2f%%", 100 * (models[0]["per_class_accuracy"] as! [Double])[9]
                )))
        XCTAssertTrue(page.contains(String(format: "%.2f%%", 100 * perClass[0])))
        XCTAssertNotNil((summary["machine"] as? [String: Any])?["threads"] as? Int)
        // The last epoch of each phase in metrics.jsonl is the legend of its accuracy chart.
        let lines = try String(contentsOf: folder.appendingPathComponent("runs/a/metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        for phase in ["teacher", "student", "baseline"] {
            let last = try XCTUnwrap(lines.last { $0["phase"] as? String == phase })
            XCTAssertTrue(page.contains(String(format: "test %.2f%%", 100 * (last["test_acc"] as! Double))), phase)
            XCTAssertTrue(page.contains(String(format: "test CE %.4g<", last["test_loss"] as! Double)), phase)
            XCTAssertNotNil(last["val_loss"] as? Double)
        }

        // kd report rebuilds the same page; two runs side by side.
        try FileManager.default.removeItem(at: report)
        let rebuilt = try KDProcess.run(["report", "runs/a"], in: folder)
        XCTAssertEqual(rebuilt.status, 0, rebuilt.stderr)
        XCTAssertEqual(try String(contentsOf: report, encoding: .utf8), page)
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent("runs/a"), to: folder.appendingPathComponent("runs/b"))
        let both = try KDProcess.run(["report", "runs/a", "runs/b", "--out", "both.html"], in: folder)
        XCTAssertEqual(both.status, 0, both.stderr)
        XCTAssertTrue(
            try String(contentsOf: folder.appendingPathComponent("both.html"), encoding: .utf8).contains(
                #"id="side-by-side""#))
    }

    /// kd train's report: the teacher alone, finished, with its confusion matrix.
    func testTrainWritesTheTeachersReport() throws {
        let train = try KDProcess.run(["train", "--config", "tiny.yaml", "--out", "runs/t"], in: folder)
        XCTAssertEqual(train.status, 0, train.stderr)
        let models = try XCTUnwrap(try json("runs/t/summary.json")["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["name"] as? String }, ["teacher"])
        let page = try String(contentsOf: folder.appendingPathComponent("runs/t/report.html"), encoding: .utf8)
        XCTAssertTrue(page.contains(#"<span class="status finished">"#))
        XCTAssertTrue(page.contains("<title>Ankle boot as Ankle boot: "))
    }

    /// A run stopped after its first epoch: the report says so and shows that epoch.
    func testInterruptedRunAndNoRunFolder() throws {
        let stopped = try KDProcess.run(
            ["distill", "--config", "tiny.yaml", "--out", "runs/s", "--stop-after", "teacher:1"], in: folder)
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        let page = try String(contentsOf: folder.appendingPathComponent("runs/s/report.html"), encoding: .utf8)
        XCTAssertTrue(page.contains("in progress or interrupted"))
        XCTAssertTrue(page.contains("teacher: accuracy"))

        let missing = try KDProcess.run(["report", "runs/none"], in: folder)
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(
            missing.stderr,
            "kd: error: runs/none: not a kd run folder (no config.yaml, metrics.jsonl or summary.json)\n")
    }
}
