import Foundation
import SafeTensors
import XCTest

/// `kd compare` through the binary on a small Fashion-MNIST cut (1000 training, 300 test images).
final class CompareTests: XCTestCase {
    var folder: URL!
    /// The `--data` source of the small cut.
    var data: String { "idx:\(folder.appendingPathComponent("data").path)" }

    override func setUpWithError() throws {
        folder = try KDProcess.temporaryFolder()
        try SmallData.writeFashionMNIST(to: folder.appendingPathComponent("data"), train: 1000, test: 300)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func kd(_ args: [String]) throws -> KDProcess.Result { try KDProcess.run(args, in: folder) }

    /// Trains Models/mlp-student.yaml for one epoch on the small cut with `normalize` as the
    /// config's `data.normalize` (none when nil); returns the checkpoint's path.
    func trainModel(_ name: String, normalize: String? = nil) throws -> String {
        let checkpoint = folder.appendingPathComponent("\(name).safetensors").path
        try """
        name: \(name)
        seed: 2
        data: {source: "\(data)"\(normalize.map { ", normalize: \($0)" } ?? "")}
        training: {epochs: 1, batch_size: 50, optimizer: {name: adam, lr: 0.002}}
        teacher:
          model: \(KDProcess.root.appendingPathComponent("Models/mlp-student.yaml").path)
          checkpoint: \(checkpoint)
        """.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        let result = try kd(["train", "--config", "\(name).yaml", "--out", "runs/\(name)", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        return checkpoint
    }

    /// The "models" array of `kd compare --json`'s output.
    func models(_ result: KDProcess.Result, file: StaticString = #filePath, line: UInt = #line) throws -> [[String:
        Any]]
    {
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try XCTUnwrap(report?["models"] as? [[String: Any]], result.stdout, file: file, line: line)
    }

    /// Plain PyTorch state_dicts (no kd metadata) take their architecture from --teacher-spec
    /// and --spec-for; without one the error names the option that gives it.
    func testPyTorchStateDictsWithSpecs() throws {
        let teacher = InteropTests.teacher
        let spec = InteropTests.teacherSpec
        let rows = try models(
            try kd([
                "compare", "--teacher", teacher, "--teacher-spec", spec, "--model", "t2=\(teacher)", "--spec-for",
                "t2=\(spec)",
                "--data", data, "--no-latency", "--json",
            ]))
        XCTAssertEqual(rows.map { $0["name"] as? String }, ["teacher", "t2"])
        let evaluate = try kd(["evaluate", "--model", teacher, "--spec", spec, "--data", data, "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let alone = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any]
        for row in rows {
            XCTAssertEqual(row["accuracy"] as? Double, alone?["accuracy"] as? Double, "\(row)")
            XCTAssertEqual(row["agreement_with_teacher"] as? Double, 1)
            XCTAssertEqual(row["kl_from_teacher"] as? Double ?? 1, 0, accuracy: 1e-6)
        }

        for (arguments, option) in [
            (
                ["--teacher", teacher, "--model", "t2=\(teacher)", "--spec-for", "t2=\(spec)"],
                "--teacher-spec SPEC or --spec-for teacher=SPEC"
            ),
            (["--teacher", teacher, "--teacher-spec", spec, "--model", "t2=\(teacher)"], "--spec-for t2=SPEC"),
            (
                ["--teacher", teacher, "--teacher-spec", spec, "--student", teacher],
                "--student-spec SPEC or --spec-for student=SPEC"
            ),
        ] {
            let result = try kd(["compare"] + arguments + ["--data", data, "--no-latency"])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            for fragment in ["kd: error: \(teacher): no kd model spec in the file", option] {
                XCTAssertTrue(result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)")
            }
        }
    }

    /// A model trained on normalised inputs and one trained on [0, 1] pixels, compared: each is
    /// measured on inputs normalised its own way, so each gets the accuracy `kd evaluate` gives
    /// it alone. The normalised model's weights as a plain state_dict (no kd metadata) get [0, 1]
    /// pixels unless --normalize-for / --normalize-mean and --normalize-std say otherwise.
    func testEveryModelSeesItsOwnNormalization() throws {
        let normalized = try trainModel("normalized", normalize: "{mean: [0.5], std: [0.1]}")
        let plain = try trainModel("plain")
        let stripped = try stateDictOnly(normalized)
        let spec = KDProcess.root.appendingPathComponent("Models/mlp-student.yaml").path
        let rows = try models(
            try kd([
                "compare", "--teacher", normalized, "--model", "plain=\(plain)", "--model", "raw=\(stripped)",
                "--model", "given=\(stripped)", "--spec-for", "raw=\(spec)", "--spec-for", "given=\(spec)",
                "--normalize-for", "given=0.5/0.1", "--data", data, "--no-latency", "--json",
            ]))
        let accuracy = Dictionary(
            uniqueKeysWithValues: rows.map { ($0["name"] as? String ?? "", $0["accuracy"] as? Double ?? -1) })
        XCTAssertEqual(rows.first?["agreement_with_teacher"] as? Double, 1)
        XCTAssertEqual(accuracy["teacher"], try evaluateAccuracy([normalized]))
        XCTAssertEqual(accuracy["plain"], try evaluateAccuracy([plain]))
        XCTAssertEqual(accuracy["raw"], try evaluateAccuracy([stripped, "--spec", spec]))
        XCTAssertEqual(accuracy["given"], accuracy["teacher"])
        XCTAssertEqual(
            try evaluateAccuracy([stripped, "--spec", spec, "--normalize-mean", "0.5", "--normalize-std", "0.1"]),
            accuracy["teacher"])
        XCTAssertNotEqual(accuracy["raw"], accuracy["teacher"], "the normalisation makes a difference")
        print("[compare] accuracies: \(accuracy)")

        for arguments in [
            ["evaluate", "--model", normalized, "--normalize-mean", "0.5", "--normalize-std", "0.1"],
            ["compare", "--teacher", plain, "--model", "n=\(normalized)", "--normalize-for", "n=0.5/0.1"],
        ] {
            let result = try kd(arguments + ["--data", data])
            XCTAssertEqual(result.status, 1, result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(
                result.stderr.contains("records its own input normalisation (kd.normalize); drop --normalize-"),
                result.stderr)
        }
    }

    /// `kd evaluate --model arguments... --data <the cut> --json`'s accuracy.
    func evaluateAccuracy(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Double {
        let result = try kd(["evaluate", "--model"] + arguments + ["--data", data, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try XCTUnwrap(report?["accuracy"] as? Double, result.stdout, file: file, line: line)
    }

    /// The tensors of the checkpoint at `path` in a file of their own with no metadata, as
    /// PyTorch's `save_file(model.state_dict())` writes them; returns its path.
    func stateDictOnly(_ path: String) throws -> String {
        let checkpoint = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path))
        var writer = SafeTensorsWriter()
        for name in checkpoint.names {
            writer.add(name, shape: checkpoint.tensors[name]?.shape ?? [], floats: try checkpoint.floats(name))
        }
        let out = folder.appendingPathComponent("state-dict.safetensors")
        try writer.write(to: out)
        return out.path
    }

    func testNoLatencyLeavesTheLatencyOut() throws {
        let model = try trainModel("plain")
        let arguments = ["compare", "--teacher", model, "--model", "again=\(model)", "--data", data, "--no-latency"]
        for row in try models(try kd(arguments + ["--json"])) {
            XCTAssertTrue(row["latency_ms_batch1"] is NSNull, "\(row)")
            XCTAssertTrue(row["latency_ms_per_sample_batch256"] is NSNull, "\(row)")
        }
        let table = try kd(arguments)
        XCTAssertEqual(table.status, 0, table.stderr)
        let rows = table.stdout.split(separator: "\n").filter { $0.hasPrefix("teacher ") || $0.hasPrefix("again ") }
        XCTAssertEqual(rows.count, 2, table.stdout)
        for row in rows {
            XCTAssertEqual(row.split(separator: " ").suffix(2), ["-", "-"], table.stdout)
        }
    }
}
