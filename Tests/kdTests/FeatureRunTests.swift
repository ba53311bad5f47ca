import Distill
import Foundation
import NN
import SafeTensors
import XCTest

/// `kd distill` with feature pairs through the binary (README, "Feature distillation"): a run
/// with a hint pair (conv1x1 regressor) and an attention pair logs each term, reports the
/// regressors in summary.json, resumes bit-identical after a stop and after `kill -9` (the
/// regressors and their optimizer state are in the resume file), and exports the student alone:
/// no regressor tensor, and PyTorch loads it strictly with kd's logits.
extension ResumeTests {
    /// Teacher conv 8 -> conv 12, student conv 4 -> conv 6 (both [C, 14, 14] after the pool).
    func writeFeatureConfig(_ name: String) throws {
        for (model, widths) in [("ft-teacher", (8, 12)), ("ft-student", (4, 6))] {
            try """
            input: [1, 28, 28]
            layers:
              - conv2d: {out: \(widths.0), kernel: 3, padding: 1}
              - relu
              - maxpool2d: {kernel: 2}
              - conv2d: {out: \(widths.1), kernel: 3, padding: 1}
              - relu
              - flatten
              - linear: {out: 10}
            """.write(to: folder.appendingPathComponent("\(model).yaml"), atomically: true, encoding: .utf8)
        }
        try """
        name: \(name)
        seed: 5
        data: {source: fashion-mnist, limit: 601, test_limit: 200, validation: 100}
        training:
          epochs: 3
          batch_size: 50
          optimizer: {name: adam, lr: 0.003}
        teacher: {model: ft-teacher.yaml, training: {epochs: 2}}
        student: {model: ft-student.yaml}
        distillation:
          temperature: 3
          alpha: 0.7
          baseline: true
          cache_teacher_logits: false
          features:
            - {student: 4, teacher: 4, loss: hint, regressor: conv1x1, weight: 0.5}
            - {student: 3, teacher: 3, loss: attention, weight: 100}
        """.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }

    func testFeatureRunLogsTermsResumesBitIdenticalAndExportsTheStudentAlone() throws {
        try writeFeatureConfig("f")
        let full = try kd(["distill", "-c", "f.yaml", "--out", "f-full"])
        XCTAssertEqual(full.status, 0, full.stderr)
        // Regressor: 6 -> 12 channels, 1x1: 72 weights + 12 biases.
        XCTAssertTrue(full.stdout.contains("84 regressor parameters (trained, not exported)"), full.stdout)

        let students = try metrics("f-full").filter { $0["phase"] as? String == "student" }
        XCTAssertEqual(students.count, 3)
        for record in students {
            let terms = try XCTUnwrap(record["loss_features"] as? [String: Double], "\(record)")
            XCTAssertEqual(Set(terms.keys), ["hint 4->4", "attention 3->3"])
            for (term, value) in terms { XCTAssertTrue(value.isFinite && value > 0, "\(term): \(value)") }
        }
        let summary = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: try data("f-full/summary.json")) as? [String: Any])
        let features = try XCTUnwrap(summary["features"] as? [String: Any], "\(summary.keys)")
        XCTAssertEqual(features["regressor_parameters"] as? Int, 84)
        XCTAssertEqual((features["pairs"] as? [Any])?.count, 2)

        try assertStoppedAndKilledRunsResume("f")
        try assertExportedStudentIsTheStudentAlone(run: "f-full")
    }

    /// `kd export` of the run's student: its tensors are the student spec's and nothing else
    /// (no regressor), and kd_torch loads it with strict=True and gives kd's logits to 1e-4.
    private func assertExportedStudentIsTheStudentAlone(run: String) throws {
        let export = try kd(["export", "--model", "\(run)/student.safetensors", "--out", "exported.safetensors"])
        XCTAssertEqual(export.status, 0, export.stderr)
        let exported = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("exported.safetensors"))
        XCTAssertEqual(
            Set(exported.names), ["0.weight", "0.bias", "3.weight", "3.bias", "6.weight", "6.bias"],
            "the student's parameters only")

        let saved = folder.appendingPathComponent("exported.safetensors")
        let (worst, _) = try TorchLoader.maxLogitDifference(
            try Checkpoint.load(from: saved), saved: saved, batch: 16, seed: 21,
            python: try KDProcess.pythonEnvironment(["torch"]), in: folder)
        XCTAssertLessThanOrEqual(worst, 1e-4)
    }
}
