import Foundation
import SafeTensors
import XCTest

/// The instants around a phase's epochs, damaged resume files and failed starts: whatever
/// happens, the run resumes to the bytes of a run never stopped, or one line says what is wrong
/// and nothing is lost or left in the way of the corrected rerun.
extension ResumeTests {
    /// `kill -9` (the hidden `--crash-at`) before, during and after the first and last epoch of
    /// each phase: resuming gives the uninterrupted run's checkpoints and metrics.jsonl, with no
    /// line written twice and no temporary file left behind.
    func testCrashAtEveryPhaseBoundaryResumesBitIdentical() throws {
        try writeConfig("c", teacherEpochs: 2)
        XCTAssertEqual(try kd(["distill", "-c", "c.yaml", "--out", "full"]).status, 0)
        let points = [
            "teacher:1:start", "teacher:1:metrics", "teacher:2:checkpoint", "student:1:metrics",
            "student:1:checkpoint", "student:1:resume", "student:3:metrics", "student:3:resume",
            "baseline:1:start", "baseline:3:checkpoint",
        ]
        for (i, point) in points.enumerated() {
            let run = "crash-\(i)"
            let crashed = try kd(["distill", "-c", "c.yaml", "--out", run, "--crash-at", point])
            XCTAssertEqual(crashed.status, 137, "\(point): \(crashed.stderr)")
            let resumed = try kd(["distill", "--resume", run])
            XCTAssertEqual(resumed.status, 0, "\(point): \(resumed.stderr)")
            try assertSameResults("full", run)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(run).path)
            XCTAssertFalse(names.contains { $0.contains(".tmp-") }, "\(point): \(names)")
        }
    }

    /// `run`'s student.resume.safetensors with one field of its `kd.resume` metadata replaced.
    func damageResume(_ run: String, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("\(run)/student.resume.safetensors")
        let file = try SafeTensorsFile(contentsOf: url)
        var position = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data((file.metadata["kd.resume"] ?? "").utf8)) as? [String: Any])
        edit(&position)
        var writer = SafeTensorsWriter(metadata: file.metadata)
        writer.metadata["kd.resume"] = String(
            decoding: try JSONSerialization.data(withJSONObject: position), as: UTF8.self)
        for name in file.names {
            guard let info = file.tensors[name] else { continue }
            if info.dtype == .i64 {
                writer.add(name, shape: info.shape, int64: try file.floats(name).map { Int64($0) })
            } else {
                writer.add(name, shape: info.shape, floats: try file.floats(name))
            }
        }
        try writer.write(to: url)
    }

    /// Every field of the resume state is checked against the run before it is used: an edited
    /// file is one line naming the file and the field, and the run folder is left as it was.
    func testDamagedResumeFieldsAreRefused() throws {
        try writeConfig("d", teacherEpochs: 1)
        let stopped = try kd(["distill", "-c", "d.yaml", "--out", "base", "--stop-after", "student:2:4"])
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        let edits: [(field: String, fault: String, edit: (inout [String: Any]) -> Void)] = [
            ("epoch", "'epoch' is 7, outside the run's 0...3 epochs", { $0["epoch"] = 7 }),
            ("epochs", "'epochs' is 5, the config says 3", { $0["epochs"] = 5 }),
            ("batch", "'batch' is 99, outside the 10 batches", { $0["batch"] = 99 }),
            (
                "batch-end", "'batch' is 2",
                {
                    $0["epoch"] = 3
                    $0["batch"] = 2
                }
            ),
            ("metrics", "'metricsLines' is 40, metrics.jsonl has", { $0["metricsLines"] = 40 }),
            ("metrics-epochs", "'metricsLines' covers 0 epochs of 'student'", { $0["metricsLines"] = 1 }),
            ("rng", "'batchRNG' is not a generator state", { $0["batchRNG"] = "x" }),
            ("parameters", "'parameterCount' is 12", { $0["parameterCount"] = 12 }),
            (
                "sums", "'sums.seen' is 3",
                { position in
                    var sums = position["sums"] as? [String: Any] ?? [:]
                    sums["seen"] = 3
                    position["sums"] = sums
                }
            ),
            ("missing", "'kd.resume' is not a valid resume position ('epoch' is missing)", { $0["epoch"] = nil }),
        ]
        let manager = FileManager.default
        for (field, fault, edit) in edits {
            let run = "damaged-\(field)"
            try manager.copyItem(at: folder.appendingPathComponent("base"), to: folder.appendingPathComponent(run))
            try damageResume(run, edit)
            let metricsBefore = try data("\(run)/metrics.jsonl")
            let resumed = try kd(["distill", "--resume", run])
            XCTAssertEqual(resumed.status, 1, "\(field): \(resumed.stderr)")
            XCTAssertEqual(resumed.stderr.split(separator: "\n").count, 1, "\(field): \(resumed.stderr)")
            XCTAssertTrue(resumed.stderr.contains("\(run)/student.resume.safetensors: "), "\(field): \(resumed.stderr)")
            XCTAssertTrue(resumed.stderr.contains(fault), "\(field): '\(fault)' not in \(resumed.stderr)")
            XCTAssertEqual(try data("\(run)/metrics.jsonl"), metricsBefore, "\(field): metrics.jsonl changed")
        }
    }

    /// A run that fails on its inputs creates no run folder, so the corrected command needs no
    /// --force; a teacher path that is a folder is one line at once, before any training.
    func testFailedStartLeavesNothingBehind() throws {
        try writeConfig("f", teacherEpochs: 1)
        try Data("not safetensors".utf8).write(to: folder.appendingPathComponent("bad.safetensors"))
        let bad = try kd(["distill", "-c", "f.yaml", "--out", "f-run", "--teacher", "bad.safetensors"])
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("bad.safetensors"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("f-run").path))

        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("teachers"), withIntermediateDirectories: true)
        let dir = try kd(["distill", "-c", "f.yaml", "--out", "f-run", "--teacher", "teachers"])
        XCTAssertEqual(dir.status, 1, dir.stderr)
        XCTAssertEqual(dir.stderr.split(separator: "\n").count, 1, dir.stderr)
        XCTAssertTrue(dir.stderr.contains("teachers: is a folder, not a teacher checkpoint file"), dir.stderr)
        XCTAssertFalse(dir.stdout.contains("training the teacher"), dir.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("f-run").path))

        let fixed = try kd(["distill", "-c", "f.yaml", "--out", "f-run", "--teacher", "teachers/new.safetensors"])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
    }
}
