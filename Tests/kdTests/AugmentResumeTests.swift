import Foundation
import XCTest

/// Training with `data.augment` through the kd binary: the augmentation changes the run, is
/// written to config.yaml, and a run stopped mid-epoch or killed resumes to the same bytes
/// (the bits are keyed by epoch and sample, not by where the run restarted).
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

        let stopped = try kd(["distill", "-c", "a.yaml", "--out", "mid", "--stop-after", "student:2:4"])
        XCTAssertEqual(stopped.status, 130, stopped.stderr)
        let resumed = try kd(["distill", "--resume", "mid"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming at epoch 2, batch 5"), resumed.stdout)
        try assertSameResults("full", "mid")

        let crashed = try kd(["distill", "-c", "a.yaml", "--out", "crash", "--crash-at", "student:2:metrics"])
        XCTAssertEqual(crashed.status, 137, crashed.stderr)
        XCTAssertEqual(try kd(["distill", "--resume", "crash"]).status, 0)
        try assertSameResults("full", "crash")
    }
}
