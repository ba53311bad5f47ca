import Foundation
import XCTest

/// Training with `data.augment` through the kd binary: the augmentation changes the run, is
/// written to config.yaml, and a run stopped mid-epoch or killed resumes to the same bytes
/// (the bits are keyed by epoch and sample, not by where the run restarted), with the teacher
/// live or its outputs cached for K views.
extension ResumeTests {
    func testAugmentedRunsResumeBitIdentical() throws {
        try assertAugmentedRunResumesBitIdentical(
            "a", augment: "{crop: {padding: 2}, flip: {p: 0.5}}", written: ["padding: 2"])
    }

    /// Mixup and cutmix (each sample one of the two) on top of crop and flip, the teacher live.
    func testMixupAndCutmixRunsResumeBitIdentical() throws {
        try assertAugmentedRunResumesBitIdentical(
            "m", augment: "{crop: {padding: 2}, flip: {p: 0.5}, mixup: {alpha: 0.4}, cutmix: {alpha: 1, p: 0.8}}",
            written: ["mixup:", "cutmix:", "alpha: 0.4"])
    }

    /// Two views over three student epochs: epoch 2 reuses view 0, so a resume must select the
    /// view of the epoch it continues in and regenerate the cache bit for bit.
    func testCachedViewRunsResumeBitIdentical() throws {
        let augment = "{crop: {padding: 2}, flip: {p: 0.5}}"
        try writeConfig("v", teacherEpochs: 2, augment: augment, cacheViews: 2)
        let full = try kd(["distill", "-c", "v.yaml", "--out", "v-full"])
        XCTAssertEqual(full.status, 0, full.stderr)
        XCTAssertTrue(full.stdout.contains("teacher outputs of 2 views x 501 samples cached"), full.stdout)
        XCTAssertTrue(String(decoding: try data("v-full/config.yaml"), as: UTF8.self).contains("cache_views: 2"))
        // summary.json says what the cache held and what its one pass cost (2 x 501 x 10 floats: 1 MB rounded up).
        let cache = try XCTUnwrap(try teacherOutputs("v-full"))
        XCTAssertEqual(cache["source"] as? String, "cached_views")
        XCTAssertEqual(cache["views"] as? Int, 2)
        XCTAssertEqual(cache["megabytes"] as? Int, 1)
        let seconds = try XCTUnwrap(cache["seconds"] as? Double)
        XCTAssertTrue(seconds > 0 && seconds < 600, "\(seconds)")
        try assertStoppedAndKilledRunsResume("v")

        // The same teacher live: the third epoch sees view 0 again with 2 views, not live.
        try writeConfig("l", teacherEpochs: 2, augment: augment)
        XCTAssertEqual(try kd(["distill", "-c", "l.yaml", "--out", "live"]).status, 0)
        XCTAssertEqual(try teacherOutputs("live")?["source"] as? String, "live")
        XCTAssertEqual(try data("v-full/teacher.safetensors"), try data("live/teacher.safetensors"))
        XCTAssertEqual(try data("v-full/baseline.safetensors"), try data("live/baseline.safetensors"))
        XCTAssertNotEqual(try data("v-full/student.safetensors"), try data("live/student.safetensors"))
    }

    /// As many views as student epochs (3) is the live teacher: every cached row is the
    /// teacher's output on the very view the student trained on, so the students' losses agree
    /// up to the float summation order of the teacher's batches (500 cached, 50 live); a cache
    /// keyed unlike the student's augmentation teaches other crops and is off from epoch 1.
    func testAsManyCachedViewsAsEpochsIsTheLiveTeacher() throws {
        let augment = "{crop: {padding: 2}, flip: {p: 0.5}}"
        try writeConfig("v3", teacherEpochs: 1, augment: augment, cacheViews: 3)
        try writeConfig("l3", teacherEpochs: 1, augment: augment)
        for (config, out) in [("v3", "views"), ("l3", "live")] {
            let run = try kd(["distill", "-c", "\(config).yaml", "--out", out])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        XCTAssertEqual(try data("views/teacher.safetensors"), try data("live/teacher.safetensors"))
        let (views, live) = (try metrics("views"), try metrics("live"))
        XCTAssertEqual(views.count, live.count)
        for (v, l) in zip(views, live) where v["phase"] as? String == "student" {
            for key in ["loss", "loss_soft", "loss_hard"] {
                let (a, b) = (v[key] as! Double, l[key] as! Double)
                XCTAssertEqual(a, b, accuracy: 1e-6 * abs(b), "epoch \(v["epoch"]!) \(key)")
            }
        }
    }

    /// summary.json's `teacher_outputs` of run folder `run`.
    private func teacherOutputs(_ run: String) throws -> [String: Any]? {
        let summary = try JSONSerialization.jsonObject(with: try data("\(run)/summary.json")) as? [String: Any]
        return summary?["teacher_outputs"] as? [String: Any]
    }

    /// Runs `augment` whole, stopped mid-epoch then resumed, killed then resumed: the three end
    /// with the same files, which differ from an unaugmented run's; config.yaml holds `written`.
    private func assertAugmentedRunResumesBitIdentical(
        _ name: String, augment: String, written: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        try writeConfig(name, teacherEpochs: 2, augment: augment)
        let full = try kd(["distill", "-c", "\(name).yaml", "--out", "\(name)-full"])
        XCTAssertEqual(full.status, 0, full.stderr, file: file, line: line)
        let config = String(decoding: try data("\(name)-full/config.yaml"), as: UTF8.self)
        XCTAssertTrue(
            config.contains("augment:") && written.allSatisfy(config.contains), config, file: file, line: line)

        try writeConfig("\(name)-plain", teacherEpochs: 2)
        XCTAssertEqual(
            try kd(["distill", "-c", "\(name)-plain.yaml", "--out", "\(name)-plain"]).status, 0, file: file,
            line: line)
        for model in ["teacher", "student"] {
            XCTAssertNotEqual(
                try data("\(name)-full/\(model).safetensors"), try data("\(name)-plain/\(model).safetensors"),
                model, file: file, line: line)
        }
        try assertStoppedAndKilledRunsResume(name, file: file, line: line)
    }

    /// `name`.yaml stopped inside the student's second epoch and killed after its metrics line
    /// both resume to the results of the uninterrupted run folder `name`-full.
    func assertStoppedAndKilledRunsResume(
        _ name: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let stopped = try kd(["distill", "-c", "\(name).yaml", "--out", "\(name)-mid", "--stop-after", "student:2:4"])
        XCTAssertEqual(stopped.status, 130, stopped.stderr, file: file, line: line)
        let resumed = try kd(["distill", "--resume", "\(name)-mid"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr, file: file, line: line)
        XCTAssertTrue(resumed.stdout.contains("resuming at epoch 2, batch 5"), resumed.stdout, file: file, line: line)
        try assertSameResults("\(name)-full", "\(name)-mid")

        let crashed = try kd([
            "distill", "-c", "\(name).yaml", "--out", "\(name)-crash", "--crash-at", "student:2:metrics",
        ])
        XCTAssertEqual(crashed.status, 137, crashed.stderr, file: file, line: line)
        XCTAssertEqual(try kd(["distill", "--resume", "\(name)-crash"]).status, 0, file: file, line: line)
        try assertSameResults("\(name)-full", "\(name)-crash")
    }
}
