import Foundation
import XCTest

/// Training with `data.augment` through the kd binary: the augmentation changes the run, is
/// written to config.yaml, and a run stopped mid-epoch or killed resumes to the same bytes
/// (the bits are keyed by epoch and sample, not by where the run restarted).
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
