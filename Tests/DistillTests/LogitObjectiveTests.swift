import Foundation
import NN
import XCTest

@testable import Distill

/// `distillation.loss: kd | dkd | dist` and `standardize_logits` from the config to a trained
/// student; the losses themselves are proven against PyTorch in NNTests (LogitLossTests).
final class LogitObjectiveTests: XCTestCase {
    /// 237 training samples in batches of 32 leave a last batch of 13, and 3 classes; the teacher
    /// is trained first in the run (1 epoch), the student for 3.
    func run(_ distillation: String) throws -> (comparison: Comparison, lines: [[String: Any]]) {
        let dir = try TempDir()
        try SelfDistillationTests.writeProblem(in: dir, samples: 297)
        let yaml = """
            seed: 3
            output: \(dir.path)/run
            data: {source: "csv:\(dir.path)/problem.csv", validation: 60, csv: {scale: 1, shape: [4]}}
            training: {epochs: 3, batch_size: 32, optimizer: {name: adam, lr: 0.01}}
            teacher: {model: \(dir.path)/mlp.yaml, training: {epochs: 2}}
            student: {model: \(dir.path)/mlp.yaml}
            distillation: {baseline: false, \(distillation)}
            """
        let path = try dir.write("run.yaml", yaml)
        let job = try DistillJob(
            plan: RunPlan(.fresh(configPath: path, overrides: RunOverrides())), options: RunOptions(quiet: true),
            task: .distill)
        let comparison = try job.distill()
        let text = try String(contentsOf: dir.url.appendingPathComponent("run/metrics.jsonl"), encoding: .utf8)
        let lines = try text.split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return (comparison, lines.filter { $0["phase"] as? String == "student" })
    }

    func testEveryLossTrainsTheStudent() throws {
        for setting in [
            "loss: kd, temperature: 2, alpha: 0.7", "loss: kd, standardize_logits: true, temperature: 2",
            "loss: dkd, dkd: {warmup_epochs: 2}", "loss: dkd, standardize_logits: true, cache_teacher_logits: false",
            "loss: dist, dist: {tau: 2}", "loss: dist, cache_teacher_logits: false",
        ] {
            let (comparison, lines) = try run(setting)
            let losses = lines.compactMap { $0["loss"] as? Double }
            XCTAssertEqual(losses.count, 3, setting)
            XCTAssertTrue(losses.allSatisfy(\.isFinite), "\(setting): \(losses)")
            XCTAssertLessThan(losses[2], losses[0], "\(setting): the loss falls, \(losses)")
            XCTAssertNotNil(lines.first?["loss_soft"] as? Double, setting)
            let student = try XCTUnwrap(comparison.reports.first { $0.name == "student" })
            XCTAssertGreaterThan(student.accuracy, 0.6, "\(setting): far above chance (1/3)")
        }
    }

    func testLossKeysAreReadValidatedAndWrittenBack() throws {
        let dir = try TempDir()
        try dir.write("m.yaml", "input: [4]\nlayers: [{linear: {out: 3}}]\n")
        func config(_ distillation: String) throws -> RunConfig {
            try RunConfig(
                yaml: "teacher: {model: m.yaml}\nstudent: {model: m.yaml}\ndistillation: \(distillation)\n",
                file: dir.url.appendingPathComponent("run.yaml").path)
        }
        let d = try config(
            "{loss: dkd, standardize_logits: true, dkd: {alpha: 0.5, beta: 4, warmup_epochs: 5}, dist: {beta: 2, gamma: 3, tau: 1.5}}"
        ).distillation
        XCTAssertEqual(d.loss, .dkd)
        XCTAssertTrue(d.standardizeLogits)
        XCTAssertEqual([d.dkd.alpha, d.dkd.beta], [0.5, 4])
        XCTAssertEqual(d.dkd.warmupEpochs, 5)
        XCTAssertEqual([d.dist.beta, d.dist.gamma, d.dist.tau], [2, 3, 1.5])
        XCTAssertEqual(try config("{}").distillation.loss, .kd)

        // The resolved config reads back to the same values (what a resumed run uses).
        let full = try config("{loss: dist, dist: {tau: 2}}")
        let again = try RunConfig(
            yaml: try full.resolvedYAML(), file: dir.url.appendingPathComponent("again.yaml").path)
        XCTAssertEqual(again.distillation, full.distillation)

        for (bad, message) in [
            ("{loss: crd}", "'distillation.loss' must be one of kd, dkd, dist"),
            ("{loss: dist, standardize_logits: true}", "'distillation.standardize_logits' applies to loss kd and dkd"),
            ("{dkd: {beta: -1}}", "'distillation.dkd.beta' must be a number >= 0"),
            ("{dkd: {warmup_epochs: 100000}}", "'distillation.dkd.warmup_epochs' must be an integer in 0...10000"),
            ("{dist: {tau: 0}}", "'distillation.dist.tau' must be a number > 0"),
            ("{dist: {delta: 1}}", "unknown key 'distillation.dist.delta'"),
            ("{mode: self, loss: dkd}", "'distillation.loss' must be kd for mode self"),
        ] {
            XCTAssertThrowsError(try config(bad), bad) { error in
                XCTAssertTrue("\(error)".contains(message), "\(bad): \(error)")
                XCTAssertTrue("\(error)".contains("run.yaml:3"), "\(bad): \(error)")
            }
        }
    }
}
