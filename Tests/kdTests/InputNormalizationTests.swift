import Foundation
import XCTest

/// Every model sees its inputs the way it was trained: a teacher trained by `kd train` with
/// `data.normalize` keeps that normalisation when `kd distill` runs without one (it once got
/// raw pixels and scored 43% where `kd evaluate` gave it 74%).
final class InputNormalizationTests: XCTestCase {
    func config(normalize: String, teacher: String, epochs: Int) -> String {
        """
        seed: 2
        data: {source: fashion-mnist, limit: 2000, test_limit: 1000\(normalize)}
        training: {epochs: \(epochs), batch_size: 64, optimizer: {name: adam, lr: 0.001}}
        teacher: {model: \(KDProcess.root.path)/Models/mlp-student.yaml, checkpoint: \(teacher)}
        student: {model: \(KDProcess.root.path)/Models/mlp-student.yaml}
        distillation: {temperature: 2, alpha: 0.5, baseline: false}
        """
    }

    func testDistillFeedsTheTeacherItsOwnNormalisation() throws {
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let teacher = folder.appendingPathComponent("teacher.safetensors").path
        try config(normalize: ", normalize: {mean: [0.5], std: [0.1]}", teacher: teacher, epochs: 2)
            .write(to: folder.appendingPathComponent("train.yaml"), atomically: true, encoding: .utf8)
        let train = try KDProcess.run(
            ["train", "--config", "train.yaml", "--out", "runs/train", "--quiet"], in: folder)
        XCTAssertEqual(train.status, 0, train.stderr)

        // The same 1000 test samples as the distillation's (test_limit with the same seed).
        try config(normalize: "", teacher: teacher, epochs: 1)
            .write(to: folder.appendingPathComponent("distill.yaml"), atomically: true, encoding: .utf8)
        let distill = try KDProcess.run(["distill", "--config", "distill.yaml", "--out", "runs/distill"], in: folder)
        XCTAssertEqual(distill.status, 0, distill.stderr)
        XCTAssertTrue(distill.stdout.contains("inputs renormalised as it was trained"), distill.stdout)
        let summary =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("runs/distill/summary.json"))) as? [String: Any]
        let models = try XCTUnwrap(summary?["models"] as? [[String: Any]])
        let teacherAccuracy = try XCTUnwrap(models.first { $0["name"] as? String == "teacher" }?["accuracy"] as? Double)

        // The teacher's own accuracy on those samples, computed from its training run's config.
        let trainRun =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("runs/train/metrics.jsonl"))
                    .split(separator: UInt8(ascii: "\n")).last.map { Data($0) } ?? Data()) as? [String: Any]
        let ownAccuracy = try XCTUnwrap(trainRun?["test_acc"] as? Double)
        XCTAssertEqual(
            teacherAccuracy, ownAccuracy, accuracy: 1.5e-3, "teacher in distill vs its own last test accuracy")
        XCTAssertGreaterThan(teacherAccuracy, 0.7)
    }
}
