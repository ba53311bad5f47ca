import Foundation
import XCTest

/// Training with `data.augment` through the kd binary: the augmentation changes the run, is
/// written to config.yaml, and a run stopped mid-epoch or killed resumes to the same bytes
/// (the bits are keyed by epoch and sample, not by where the run restarted), with the teacher
/// live or its outputs cached for K views.
extension ResumeTests {
    func testAugmentedRunsResumeBitIdentical() throws {
        try writeConfig("a", teacherEpochs: 2, augment: "{crop: {padding: 2}, flip: {p: 0.5}}")
        let full = try kd(["distill", "-c", "a.yaml", "--out", "full"])
        XCTAssertEqual(full.status, 0, full.stderr)
        let written = String(decoding: try data("full/config.yaml"), as: UTF8.self)
        XCTAssertTrue(written.contains("augment:") && written.contains("padding: 2"), written)

        try writeConfig("plain", teacherEpochs: 2)
        XCTAssertEqual(try kd(["distill", "-c", "plain.yaml", "--out", "plain"]).status, 0)
        XCTAssertNotEqual(try data("full/teacher.safetensors"), try data("plain/teacher.safetensors"))
        XCTAssertNotEqual(try data("full/student.safetensors"), try data("plain/student.safetensors"))
        try assertStoppedAndKilledRunsResume(config: "a", like: "full")
    }

    /// Two views over three student epochs: epoch 2 reuses view 0, so a resume must select the
    /// view of the epoch it continues in and regenerate the cache bit for bit.
    func testCachedViewRunsResumeBitIdentical() throws {
        try writeConfig("v", teacherEpochs: 2, augment: "{crop: {padding: 2}, flip: {p: 0.5}}", cacheViews: 2)
        let full = try kd(["distill", "-c", "v.yaml", "--out", "views"])
        XCTAssertEqual(full.status, 0, full.stderr)
        XCTAssertTrue(full.stdout.contains("teacher outputs of 2 views x 501 samples cached"), full.stdout)
        XCTAssertTrue(
            String(decoding: try data("views/config.yaml"), as: UTF8.self).contains("cache_views: 2"))
        try assertStoppedAndKilledRunsResume(config: "v", like: "views")

        // The same teacher live: the first two epochs see the same views, the third does not.
        try writeConfig("l", teacherEpochs: 2, augment: "{crop: {padding: 2}, flip: {p: 0.5}}")
        XCTAssertEqual(try kd(["distill", "-c", "l.yaml", "--out", "live"]).status, 0)
        XCTAssertEqual(try data("views/teacher.safetensors"), try data("live/teacher.safetensors"))
        XCTAssertEqual(try data("views/baseline.safetensors"), try data("live/baseline.safetensors"))
        XCTAssertNotEqual(try data("views/student.safetensors"), try data("live/student.safetensors"))
    }

    /// `config` stopped inside the student's second epoch and killed after its metrics line
    /// both resume to the results of the uninterrupted run folder `reference`.
    private func assertStoppedAndKilledRunsResume(config: String, like reference: String) throws {
        let stopped = try kd(["distill", "-c", "\(config).yaml", "--out", "mid", "--stop-after", "student:2:4"])
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        let resumed = try kd(["distill", "--resume", "mid"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming at epoch 2, batch 5"), resumed.stdout)
        try assertSameResults(reference, "mid")

        let crashed = try kd(["distill", "-c", "\(config).yaml", "--out", "crash", "--crash-at", "student:2:metrics"])
        XCTAssertEqual(crashed.status, 137, crashed.stderr)
        XCTAssertEqual(try kd(["distill", "--resume", "crash"]).status, 0)
        try assertSameResults(reference, "crash")
    }
}
