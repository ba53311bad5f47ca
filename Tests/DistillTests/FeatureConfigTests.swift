import Distill
import FileTestSupport
import Foundation
import XCTest

/// `distillation.features` as the config reader takes it: shapes filled in from the specs, the
/// teacher made live, and every bad pair one line naming the pair (and both shapes).
final class FeatureConfigTests: XCTestCase {
    private var dirs: [TempDir] = []

    /// A config with fashion-cnn's teacher and student specs (copied) and `features` as written.
    private func load(_ features: String, extra: String = "") throws -> RunConfig {
        let dir = try TempDir()
        dirs.append(dir)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for name in ["cnn-teacher", "cnn-student"] {
            let text = try String(contentsOf: root.appendingPathComponent("Models/\(name).yaml"), encoding: .utf8)
            _ = try dir.write("Models/\(name).yaml", text)
        }
        let path = try dir.write(
            "Configs/run.yaml",
            """
            teacher: {model: Models/cnn-teacher.yaml}
            student: {model: Models/cnn-student.yaml}
            distillation:
            \(extra)  features:
            \(features)
            """)
        return try RunConfig.load(path: path)
    }

    /// The one-line message of loading `features`.
    private func error(_ features: String, extra: String = "") -> String {
        do {
            _ = try load(features, extra: extra)
            return "(loaded)"
        } catch {
            return "\(error)"
        }
    }

    func testPairsGetTheirShapesAndTheTeacherRunsLive() throws {
        let config = try load(
            """
                - {student: 4, teacher: 6, loss: hint, regressor: conv1x1, weight: 0.5}
                - {student: 5, teacher: 7, loss: attention}
            """)
        let pairs = config.distillation.features
        XCTAssertEqual(pairs.map(\.studentShape), [[16, 14, 14], [16, 7, 7]])
        XCTAssertEqual(pairs.map(\.teacherShape), [[64, 14, 14], [64, 7, 7]])
        XCTAssertEqual(pairs.map(\.weight), [0.5, 1])
        XCTAssertEqual(pairs.map(\.regressor), [.conv1x1, .none])
        XCTAssertFalse(config.distillation.cacheTeacherLogits)

        // The run folder's config.yaml (what `--resume` reads) holds the pairs: read back, the
        // same config, so a resumed run trains the same terms and regressors.
        let yaml = try config.resolvedYAML()
        XCTAssertTrue(yaml.contains("features:"), yaml)
        let path = try XCTUnwrap(dirs.last).write("Configs/again.yaml", yaml)
        var back = try RunConfig.load(path: path)
        back.configPath = config.configPath
        XCTAssertEqual(back, config, yaml)
    }

    func testBadPairsAreOneLineErrors() {
        let cases: [(String, String, String)] = [
            ("{student: 12, teacher: 6, loss: hint}", "the student (cnn-student) has layers 0...9", "unknown layer"),
            (
                "{student: 4, teacher: 6, loss: hint}",
                "'distillation.features[0]' (hint 4->6): student [16, 14, 14] vs teacher [64, 14, 14]: a hint without a regressor needs equal shapes",
                "shape mismatch"
            ),
            (
                "{student: 4, teacher: 7, loss: hint, regressor: conv1x1}",
                "regressor conv1x1 gives [64, 14, 14], the teacher's feature is [64, 7, 7]", "spatial mismatch"
            ),
            ("{student: 4, teacher: 6, loss: fitnet}", "'distillation.features[0].loss'", "bad loss"),
            (
                "{student: 4, teacher: 6, loss: hint, regressor: mlp}", "'distillation.features[0].regressor'",
                "bad regressor"
            ),
            (
                "{student: 4, teacher: 6, loss: hint, weight: -1}", "'distillation.features[0].weight'",
                "negative weight"
            ),
            (
                "{student: 8, teacher: 6, loss: attention}", "attention transfer needs [C, H, W] features",
                "flat attention"
            ),
            (
                "{student: 4, teacher: 6, loss: attention, regressor: conv1x1}", "applies to hint pairs",
                "attention regressor"
            ),
        ]
        for (features, expected, label) in cases {
            let message = error("    - \(features)")
            XCTAssertTrue(message.contains(expected), "\(label): \(message)")
            XCTAssertTrue(message.contains("run.yaml:"), "\(label) names file and line: \(message)")
            XCTAssertFalse(message.contains("\n"), "\(label): one line")
        }
    }

    func testCachedTeacherLogitsAreRefused() {
        let message = error(
            "    - {student: 4, teacher: 6, loss: hint, regressor: conv1x1}", extra: "  cache_teacher_logits: true\n")
        XCTAssertTrue(message.contains("feature pairs run the teacher live"), message)
    }
}
