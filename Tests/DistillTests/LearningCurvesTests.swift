import Distill
import Foundation
import XCTest

/// `kd plot`: metrics.jsonl of one or more runs -> one SVG line per phase.
final class LearningCurvesTests: XCTestCase {
    func testOneSeriesPerPhaseWithTestAccuracy() throws {
        let dir = try TempDir()
        try dir.write(
            "a/metrics.jsonl",
            """
            {"phase":"teacher","epoch":1,"test_acc":0.8,"val_acc":0.7}
            {"phase":"teacher","epoch":2,"test_acc":0.85}
            {"phase":"student","epoch":1,"test_acc":0.75}
            {"phase":"student","epoch":2,"test_acc":0.78}
            """)
        try dir.write("b/metrics.jsonl", "{\"phase\":\"student\",\"epoch\":1,\"test_acc\":0.5}\n")
        let single = try LearningCurves(runFolders: [dir.url.appendingPathComponent("a").path])
        XCTAssertEqual(single.metric, "test_acc")
        XCTAssertEqual(single.series.map(\.name), ["teacher", "student"])
        XCTAssertEqual(single.series[0].points.map(\.value), [0.8, 0.85])
        let svg = single.svg(title: "t & <x>")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertTrue(svg.contains("teacher 85.00%"))
        XCTAssertTrue(svg.contains("t &amp; &lt;x&gt;"))
        let both = try LearningCurves(runFolders: ["a", "b"].map { dir.url.appendingPathComponent($0).path })
        XCTAssertEqual(both.series.map(\.name), ["a/teacher", "a/student", "b/student"])
    }

    func testMissingOrBrokenMetricsAreErrors() throws {
        let dir = try TempDir()
        XCTAssertThrowsError(try LearningCurves(runFolders: [dir.path])) {
            XCTAssertTrue("\($0)".contains("metrics.jsonl"))
        }
        try dir.write("metrics.jsonl", "{\"phase\":\"x\"}\nnot json\n")
        XCTAssertThrowsError(try LearningCurves(runFolders: [dir.path])) {
            XCTAssertTrue("\($0)".contains(":2: not a JSON object"))
        }
    }
}
