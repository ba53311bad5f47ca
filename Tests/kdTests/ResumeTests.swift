import Foundation
import XCTest

/// Crash safety: a stopped run resumed with `--resume` ends bit-identical to a run never stopped;
/// Ctrl-C saves a resumable state; a non-finite loss stops naming epoch and batch and keeps the
/// last good checkpoint.
final class ResumeTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try KDProcess.temporaryFolder()
        // BatchNorm (running stats), dropout (its own generator) and SGD momentum: all state to restore.
        try """
        input: [1, 28, 28]
        layers:
          - flatten
          - linear: {out: 32}
          - batchnorm
          - relu
          - dropout: {p: 0.3}
          - linear: {out: 10}
        """.write(to: folder.appendingPathComponent("small.yaml"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// 601 - 100 = 501 training samples in batches of 50: 11 batches, the last of one sample is
    /// dropped because of BatchNorm.
    /// `augment` is a `data.augment` value (the teacher is then live: no cache).
    func writeConfig(
        _ name: String, teacherEpochs: Int, schedule: String = "{name: cosine}", lr: String = "0.05",
        augment: String? = nil, cacheViews: Int? = nil
    ) throws {
        let teacherOutputs = cacheViews.map { "cache_views: \($0)" } ?? "cache_teacher_logits: \(augment == nil)"
        try """
        name: \(name)
        seed: 11
        data: {source: fashion-mnist, limit: 601, test_limit: 200, validation: 100\(augment.map { ", augment: \($0)" } ?? "")}
        training:
          epochs: 2
          batch_size: 50
          optimizer: {name: sgd, lr: \(lr), momentum: 0.9, nesterov: true}
          schedule: \(schedule)
        teacher: {model: small.yaml, training: {epochs: \(teacherEpochs)}}
        student:
          model: small.yaml
          training: {epochs: 3, optimizer: {name: adam, lr: 0.003}}
        distillation: {temperature: 3, alpha: 0.7, baseline: true, \(teacherOutputs)}
        """.write(to: folder.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
    }

    func kd(_ args: [String]) throws -> KDProcess.Result { try KDProcess.run(args, in: folder) }

    func data(_ path: String) throws -> Data { try Data(contentsOf: folder.appendingPathComponent(path)) }

    /// metrics.jsonl without the timing fields.
    func metrics(_ run: String) throws -> [NSDictionary] {
        let text = String(decoding: try data("\(run)/metrics.jsonl"), as: UTF8.self)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return object.filter { !["seconds", "samples_per_s"].contains($0.key) } as NSDictionary
        }
    }

    func assertSameResults(_ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for name in ["teacher", "student", "baseline"] {
            XCTAssertEqual(
                try data("\(a)/\(name).safetensors"), try data("\(b)/\(name).safetensors"),
                "\(name).safetensors differs", file: file, line: line)
        }
        XCTAssertEqual(try metrics(a), try metrics(b), "metrics.jsonl differs", file: file, line: line)
    }

    func testStoppedRunsResumeBitIdentical() throws {
        try writeConfig("r", teacherEpochs: 2)
        let full = try kd(["distill", "-c", "r.yaml", "--out", "full"])
        XCTAssertEqual(full.status, 0, full.stderr)
        XCTAssertTrue(full.stdout.contains("dropping it each epoch"), full.stdout)

        // Mid-epoch (student epoch 2 after batch 4), at an epoch end (teacher epoch 1), and in the
        // baseline phase: each resumed to the end must equal the uninterrupted run byte for byte.
        for (run, point) in [("mid", "student:2:4"), ("end", "teacher:1"), ("base", "baseline:1:9")] {
            let stopped = try kd(["distill", "-c", "r.yaml", "--out", run, "--stop-after", point])
            XCTAssertEqual(stopped.status, 130, "\(point): \(stopped.stderr)")
            XCTAssertTrue(stopped.stderr.hasPrefix("kd: interrupted: stopped during"), stopped.stderr)
            XCTAssertTrue(stopped.stderr.contains("kd distill --resume"), stopped.stderr)
            XCTAssertFalse(
                FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(run)/summary.json").path))
            let resumed = try kd(["distill", "--resume", run])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertTrue(resumed.stdout.contains("resuming at epoch"), resumed.stdout)
            try assertSameResults("full", run)
        }

        // Resuming a finished run redoes nothing and changes nothing.
        let before = try data("full/student.safetensors")
        let again = try kd(["distill", "--resume", "full"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("student: already finished"), again.stdout)
        XCTAssertEqual(try data("full/student.safetensors"), before)
        XCTAssertEqual(try metrics("full").count, 2 + 3 + 3)

        // --force starts over: stale resume files are removed, not resumed from.
        let forced = try kd(["distill", "-c", "r.yaml", "--out", "mid", "--force", "--stop-after", "teacher:1:2"])
        XCTAssertEqual(forced.status, 130, forced.stderr)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("mid").path)
        XCTAssertFalse(names.contains("student.resume.safetensors"), "\(names)")

        let clash = try kd(["distill", "--resume", "mid", "--epochs", "3"])
        XCTAssertEqual(clash.status, 64, clash.stderr)
        XCTAssertTrue(clash.stderr.contains("--resume"), clash.stderr)
    }

    /// Self-distillation keeps per-sample predictions between epochs and born-again chains
    /// generations through files: both must resume to the same bytes as an uninterrupted run.
    func testSelfAndBornAgainResumeBitIdentical() throws {
        let cases: [(name: String, section: String, stop: String, files: [String])] = [
            (
                "self", "distillation: {mode: self, alpha: 0.8, baseline: false}\nstudent: {model: small.yaml}",
                "self:2:6", ["self"]
            ),
            (
                "ban",
                "distillation: {mode: born-again, generations: 2, baseline: false}\nteacher: {model: small.yaml, training: {epochs: 1}}",
                "generation-2:1:3", ["generation-0", "generation-1", "generation-2"]
            ),
        ]
        for c in cases {
            try """
            name: \(c.name)
            seed: 4
            data: {source: fashion-mnist, limit: 601, test_limit: 200, validation: 100}
            training: {epochs: 2, batch_size: 50, optimizer: {name: adam, lr: 0.003}}
            \(c.section)
            """.write(to: folder.appendingPathComponent("\(c.name).yaml"), atomically: true, encoding: .utf8)
            let full = try kd(["distill", "-c", "\(c.name).yaml", "--out", "\(c.name)-full"])
            XCTAssertEqual(full.status, 0, full.stderr)
            let stopped = try kd(["distill", "-c", "\(c.name).yaml", "--out", "\(c.name)-part", "--stop-after", c.stop])
            XCTAssertEqual(stopped.status, 130, "\(c.name): \(stopped.stderr)")
            let resumed = try kd(["distill", "--resume", "\(c.name)-part"])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertTrue(resumed.stdout.contains("resuming at epoch"), resumed.stdout)
            for file in c.files {
                XCTAssertEqual(
                    try data("\(c.name)-full/\(file).safetensors"), try data("\(c.name)-part/\(file).safetensors"),
                    "\(c.name): \(file).safetensors differs")
            }
            XCTAssertEqual(try metrics("\(c.name)-full"), try metrics("\(c.name)-part"), "\(c.name): metrics differ")
        }
    }

    func testTrainResume() throws {
        try writeConfig("t", teacherEpochs: 3)
        XCTAssertEqual(try kd(["train", "-c", "t.yaml", "--out", "full"]).status, 0)
        let stopped = try kd(["train", "-c", "t.yaml", "--out", "part", "--stop-after", "teacher:2:5"])
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("kd train --resume"), stopped.stderr)
        let resumed = try kd(["train", "--resume", "part"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try data("full/teacher.safetensors"), try data("part/teacher.safetensors"))
        XCTAssertEqual(try metrics("full"), try metrics("part"))
    }

    /// Ctrl-C (SIGINT) or SIGTERM (`kill`, a scheduler's time limit): the process saves a
    /// resumable state between batches and exits 130; resuming gives the same weights as a run
    /// never interrupted.
    func testStopSignalThenResume() throws {
        try writeConfig("s", teacherEpochs: 12)
        XCTAssertEqual(try kd(["train", "-c", "s.yaml", "--out", "full"]).status, 0)
        for (name, signal) in [("int", SIGINT), ("term", SIGTERM)] {
            let part = "part-\(name)"
            let stopped = try KDProcess.interrupt(
                KDProcess.binary, ["train", "-c", "s.yaml", "--out", part], in: folder, with: signal,
                whenLinesOf: "\(part)/metrics.jsonl", reach: 2)
            XCTAssertEqual(stopped.status, 130, "\(name): \(stopped.stderr)")
            XCTAssertTrue(stopped.stderr.hasPrefix("kd: interrupted: stopped during teacher epoch"), stopped.stderr)
            XCTAssertTrue(
                FileManager.default.fileExists(
                    atPath: folder.appendingPathComponent("\(part)/teacher.resume.safetensors").path))
            XCTAssertLessThan(try metrics(part).count, 12, "interrupted before the end")
            let resumed = try kd(["train", "--resume", part])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(try data("full/teacher.safetensors"), try data("\(part)/teacher.safetensors"), name)
            XCTAssertEqual(try metrics("full"), try metrics(part), name)
        }
    }

    /// An absurd learning rate from epoch 2 on (step schedule, gamma 1e30): the run stops naming
    /// epoch 2 and the batch, and epoch 1's checkpoint stays loadable.
    func testNonFiniteLossKeepsLastGoodCheckpoint() throws {
        try writeConfig("nan", teacherEpochs: 3, schedule: "{name: step, step_size: 1, gamma: 1.0e30}", lr: "0.01")
        let result = try kd(["train", "-c", "nan.yaml", "--out", "nan"])
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("teacher: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("at epoch 2, batch "), result.stderr)
        XCTAssertTrue(result.stderr.contains("the last good checkpoint is kept"), result.stderr)
        XCTAssertEqual(try metrics("nan").count, 1, "only epoch 1 was recorded")
        let evaluate = try kd(["evaluate", "--model", "nan/teacher.safetensors", "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.stderr)
        XCTAssertTrue(evaluate.stdout.contains("accuracy"), evaluate.stdout)
    }
}
