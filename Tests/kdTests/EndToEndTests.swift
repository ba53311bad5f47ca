import Distill
import Foundation
import NN
import SafeTensors
import XCTest

/// The kd binary end to end on a small Fashion-MNIST subset: train, distill, compare, evaluate,
/// export, and the export read back by Python (numpy + safetensors) reproducing kd's logits.
final class EndToEndTests: XCTestCase {
    func config(teacherCheckpoint: String) -> String {
        """
        name: e2e
        seed: 3
        data:
          source: fashion-mnist
          limit: 3000
          test_limit: 1000
          validation: 500
        training:
          epochs: 2
          batch_size: 64
          optimizer: {name: adam, lr: 0.001}
        teacher:
          model: \(KDProcess.root.path)/Models/mlp-teacher.yaml
          checkpoint: \(teacherCheckpoint)
        student:
          model: \(KDProcess.root.path)/Models/mlp-student.yaml
          training: {epochs: 3}
        distillation:
          temperature: 4
          alpha: 0.5
          baseline: true
        """
    }

    func testTrainDistillCompareEvaluateExport() throws {
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try config(teacherCheckpoint: "teachers/mlp.safetensors").write(
            to: folder.appendingPathComponent("e2e.yaml"), atomically: true, encoding: .utf8)

        let train = try KDProcess.run(["train", "--config", "e2e.yaml", "--out", "runs/train"], in: folder)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("teachers/mlp.safetensors").path))
        let teacherLines = try lines(folder.appendingPathComponent("runs/train/metrics.jsonl"))
        XCTAssertEqual(teacherLines.count, 2)
        XCTAssertEqual(teacherLines.map { $0["phase"] as? String }, ["teacher", "teacher"])

        // A good teacher checkpoint is never overwritten without --force.
        let teacherBytes = try Data(contentsOf: folder.appendingPathComponent("teachers/mlp.safetensors"))
        let retrain = try KDProcess.run(["train", "--config", "e2e.yaml", "--out", "runs/train2"], in: folder)
        XCTAssertNotEqual(retrain.status, 0)
        XCTAssertTrue(retrain.stderr.contains("teacher checkpoint exists; pass --force"), retrain.stderr)
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("teachers/mlp.safetensors")), teacherBytes)

        let distill = try KDProcess.run(["distill", "--config", "e2e.yaml"], in: folder)
        XCTAssertEqual(distill.status, 0, distill.stderr)
        XCTAssertTrue(
            distill.stdout.contains("teacher: loaded \(folder.path)/teachers/mlp.safetensors")
                || distill.stdout.contains("/teachers/mlp.safetensors"), distill.stdout)
        XCTAssertFalse(distill.stdout.contains("training the teacher first"), distill.stdout)
        let run = folder.appendingPathComponent("runs/e2e")
        for file in ["config.yaml", "student.safetensors", "baseline.safetensors", "metrics.jsonl", "summary.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent(file).path), file)
        }
        let metrics = try lines(run.appendingPathComponent("metrics.jsonl"))
        XCTAssertEqual(
            metrics.map { $0["phase"] as? String },
            ["student", "student", "student", "baseline", "baseline", "baseline"])
        XCTAssertNotNil(metrics[0]["loss_soft"] as? Double)
        XCTAssertNotNil(metrics[0]["val_acc"] as? Double)
        for row in ["teacher", "student", "baseline"] {
            XCTAssertTrue(distill.stdout.contains("\n\(row) "), "table row \(row) in:\n\(distill.stdout)")
        }

        // <phase>.best.safetensors holds the epoch with the best validation accuracy.
        let studentValidation = metrics.filter { $0["phase"] as? String == "student" }.compactMap {
            $0["val_acc"] as? Double
        }
        let best = try SafeTensorsFile(contentsOf: run.appendingPathComponent("student.best.safetensors"))
        XCTAssertEqual(Double(best.metadata["kd.val_acc"] ?? "") ?? -1, studentValidation.max() ?? -2, accuracy: 1e-12)
        XCTAssertEqual(
            Int(best.metadata["kd.epoch"] ?? ""), (studentValidation.firstIndex(of: studentValidation.max()!) ?? -1) + 1
        )

        let again = try KDProcess.run(["distill", "--config", "e2e.yaml"], in: folder)
        XCTAssertNotEqual(again.status, 0)
        XCTAssertTrue(again.stderr.contains("--force"), again.stderr)

        let compare = try KDProcess.run(
            [
                "compare", "--teacher", "teachers/mlp.safetensors", "--student", "runs/e2e/student.safetensors",
                "--baseline", "runs/e2e/baseline.safetensors", "--json",
            ], in: folder)
        XCTAssertEqual(compare.status, 0, compare.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(compare.stdout.utf8)) as? [String: Any]
        let models = report?["models"] as? [[String: Any]] ?? []
        XCTAssertEqual(models.map { $0["name"] as? String }, ["teacher", "student", "baseline"])
        XCTAssertEqual(report?["samples"] as? Int, 10000)
        XCTAssertEqual(models.first?["agreement_with_teacher"] as? Double, 1)
        XCTAssertEqual(models.first?["kl_from_teacher"] as? Double ?? 1, 0, accuracy: 1e-6)
        XCTAssertEqual(models[1]["parameters"] as? Int, 784 * 64 + 64 + 64 * 10 + 10)
        for model in models {
            XCTAssertGreaterThan(model["accuracy"] as? Double ?? 0, 0.6, "\(model)")
            XCTAssertGreaterThan(model["latency_ms_batch1"] as? Double ?? 0, 0)
        }

        let evaluate = try KDProcess.run(["evaluate", "--model", "runs/e2e/student.safetensors", "--json"], in: folder)
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        let evaluation = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(evaluation?["accuracy"] as? Double, models[1]["accuracy"] as? Double)
        XCTAssertEqual((evaluation?["confusion"] as? [[Int]])?.flatMap { $0 }.reduce(0, +), 10000)

        let export = try KDProcess.run(
            [
                "export", "--model", "runs/e2e/student.safetensors", "--format", "safetensors", "--out",
                "student.export.safetensors",
            ],
            in: folder)
        XCTAssertEqual(export.status, 0, export.stderr)
        try assertPythonReproducesLogits(
            export: folder.appendingPathComponent("student.export.safetensors"), folder: folder)
    }

    /// Python (numpy + safetensors only) recomputes the exported model's logits on 256 test
    /// images from the file alone; they must equal kd's to 1e-5 (relative to their scale).
    func assertPythonReproducesLogits(export: URL, folder: URL) throws {
        let test = try TestData.load(source: "fashion-mnist", dataDirectory: nil)
        let n = 256
        let per = test.sampleShape.reduce(1, *)
        let checkpoint = try Checkpoint.load(from: export)
        let input = Tensor(shape: [n] + test.sampleShape, data: Array(test.samples[0..<(n * per)]))
        let logits = checkpoint.model.forward(input, training: false)
        var writer = SafeTensorsWriter()
        writer.add("x", shape: input.shape, floats: input.data)
        try writer.write(to: folder.appendingPathComponent("inputs.safetensors"))

        let python = try KDProcess.runTool(
            URL(fileURLWithPath: "/bin/bash"), [KDProcess.root.appendingPathComponent("scripts/python-env.sh").path],
            in: KDProcess.root)
        XCTAssertEqual(python.status, 0, python.stderr)
        let interpreter = URL(fileURLWithPath: python.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let script = KDProcess.root.appendingPathComponent("Tests/kdTests/python/numpy_forward.py").path
        let result = try KDProcess.runTool(
            interpreter, [script, export.path, "inputs.safetensors", "numpy_logits.safetensors"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        let numpy = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("numpy_logits.safetensors"))
        let expected = try numpy.floats("logits")
        XCTAssertEqual(expected.count, logits.count)
        let scale = expected.map(abs).max() ?? 1
        let worst = zip(expected, logits.data).map { abs($0 - $1) }.max() ?? .infinity
        print("[interop] numpy vs kd logits: max abs \(worst), rel \(worst / scale)")
        XCTAssertLessThanOrEqual(worst / scale, 1e-5)
    }

    func lines(_ url: URL) throws -> [[String: Any]] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:]
        }
    }
}
