import Foundation
import NN
import SafeTensors
import XCTest

@testable import Distill

/// The rule for the inputs a teacher checkpoint is fed (`RunInputs.loadTeacher`): the
/// normalisation recorded in the file; for a plain PyTorch state_dict, `teacher.normalize`,
/// else the run's `data.normalize`.
final class TeacherNormalizationTests: XCTestCase {
    let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    func loaded(file: String, teacherNormalize: String = "", dataNormalize: String = "") throws -> TeacherCheckpoint {
        let dir = try TempDir()
        let spec = fixtures.appendingPathComponent("pytorch_teacher.yaml").path
        let yaml = """
            data: {source: fashion-mnist\(dataNormalize)}
            teacher: {model: \(spec), checkpoint: \(file)\(teacherNormalize)}
            """
        let config = try RunConfig(yaml: yaml, file: try dir.write("run.yaml", yaml))
        let data = try Dataset(
            name: "d", samples: [Float](repeating: 0, count: 784), sampleShape: [1, 28, 28], labels: [0], classCount: 10
        )
        return try RunInputs.loadTeacher(file, role: config.teacher, config: config, data: data)
    }

    var plainFile: String { fixtures.appendingPathComponent("pytorch_teacher.safetensors").path }

    func testPlainStateDictUsesTeacherNormalize() throws {
        let teacher = try loaded(file: plainFile, teacherNormalize: ", normalize: {mean: [0.25], std: [0.5]}")
        // The run feeds raw x; the teacher wants (x - 0.25) / 0.5 = 2x - 0.5.
        XCTAssertEqual(teacher.input?.scale, [2])
        XCTAssertEqual(teacher.input?.shift, [-0.5])
    }

    func testPlainStateDictDefaultsToTheRunsNormalisation() throws {
        XCTAssertNil(try loaded(file: plainFile, dataNormalize: ", normalize: {mean: [0.3], std: [0.2]}").input)
        XCTAssertNil(try loaded(file: plainFile).input)
    }

    func testRecordedNormalisationWins() throws {
        // The same plain file, with kd.normalize added as a PyTorch user could add it.
        let dir = try TempDir()
        let source = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: plainFile))
        var writer = SafeTensorsWriter(metadata: ["kd.normalize": "{\"mean\": [0.5], \"std\": [0.1]}"])
        for name in source.names {
            guard let info = source.tensors[name] else { continue }
            if info.dtype == .i64 {
                writer.add(name, shape: info.shape, int64: try source.floats(name).map { Int64($0) })
            } else {
                writer.add(name, shape: info.shape, floats: try source.floats(name))
            }
        }
        let path = dir.url.appendingPathComponent("normalized.safetensors")
        try writer.write(to: path)
        let teacher = try loaded(
            file: path.path, teacherNormalize: ", normalize: {mean: [0], std: [1]}",
            dataNormalize: ", normalize: {mean: [0.2], std: [0.4]}")
        // x_run = (r - 0.2) / 0.4; the teacher wants (r - 0.5) / 0.1 = 4 x_run - 3.
        assertClose(teacher.input?.scale ?? [], [4], accuracy: 1e-6)
        assertClose(teacher.input?.shift ?? [], [-3], accuracy: 1e-6)
    }

    func testRenormalisationMatchesNormalisingTheRawInput() throws {
        let run = Normalization(mean: [0.2, 0.6], std: [0.4, 0.3])
        let model = Normalization(mean: [0.5, 0.1], std: [0.1, 0.7])
        let change = try XCTUnwrap(try InputRenormalization(from: run, to: model, channels: 2, owner: "t"))
        let raw: [Float] = [0, 0.25, 0.5, 1, 0.9, 0.1, 0.3, 0.7]  // [1 sample, 2 channels, 2x2]
        let x = Tensor(
            shape: [1, 2, 2, 2], data: raw.enumerated().map { i, r in (r - run.mean[i / 4]) / run.std[i / 4] })
        let y = Tensor(shape: [0])
        change.apply(x, into: y)
        for (i, r) in raw.enumerated() {
            XCTAssertEqual(y.data[i], (r - model.mean[i / 4]) / model.std[i / 4], accuracy: 1e-5)
        }
        XCTAssertThrowsError(try InputRenormalization(from: run, to: nil, channels: 1, owner: "t.safetensors")) {
            error in
            XCTAssertTrue("\(error)".hasPrefix("t.safetensors: "), "\(error)")
        }
    }
}

private func assertClose(
    _ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
