import Distill
import Foundation
import NN
import SafeTensors
import TestSupport
import XCTest

/// A teacher trained in PyTorch and saved as a plain state_dict (Tests/Fixtures/
/// pytorch_teacher.safetensors, no kd metadata; see fixtures_interop.py) loads with its spec and
/// computes PyTorch's logits and accuracy.
final class PyTorchTeacherTests: XCTestCase {
    static let teacher = Fixture.folder.appendingPathComponent("pytorch_teacher.safetensors")
    static let spec = Fixture.folder.appendingPathComponent("pytorch_teacher.yaml").path

    func testFixtureIsAPlainStateDict() throws {
        let file = try SafeTensorsFile(contentsOf: Self.teacher)
        XCTAssertNil(file.metadata[Checkpoint.specKey])
        XCTAssertThrowsError(try Checkpoint.load(from: Self.teacher)) { error in
            XCTAssertTrue("\(error)".contains("no kd model spec"), "\(error)")
        }
    }

    func testLogitsAndAccuracyEqualPyTorch() throws {
        let test = try fashionMNISTTestSet()
        let reference = try Fixture("pytorch_teacher_reference")
        let checkpoint = try Checkpoint.load(from: Self.teacher, specPath: Self.spec)
        XCTAssertNil(checkpoint.normalization)

        let expected = try reference.tensor("logits")
        let n = expected.shape[0]
        // Batches of 64: a debug build grows layer buffers slowly the first time (Tensor.resize).
        let logits = Inference.logits(
            of: checkpoint.model, on: test.subset(Array(0..<n), name: "first \(n)"), batchSize: 64)
        assertMatches(logits, expected, tolerance: 1e-5, "pytorch teacher logits, \(n) test images")
        XCTAssertLessThanOrEqual(differences(logits.data, expected.data).maxAbs, 1e-4)

        // Same predictions, hence the same accuracy, as PyTorch on these images (the accuracy
        // over all 10000 is compared through `kd evaluate` in kdTests/InteropTests).
        let labels = Array(test.labels[0..<n])
        XCTAssertEqual(logits.argmaxPerRow(), expected.argmaxPerRow())
        print(
            "[interop] pytorch teacher on \(n) test images: PyTorch \(expected.correctPredictions(labels)) correct, kd \(logits.correctPredictions(labels))"
        )
    }

    func testWrongSpecListsExpectedAndFoundNamesAndShapes() throws {
        let wrong = Fixture.folder.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Models/cnn-student.yaml").path
        XCTAssertThrowsError(try Checkpoint.load(from: Self.teacher, specPath: wrong)) { error in
            let message = "\(error)"
            XCTAssertFalse(message.contains("\n"), message)
            for part in [
                "tensors do not match model spec 'cnn-student'",
                "missing 3.weight [16, 8, 3, 3], 3.bias [16], 7.weight [32, 784], 7.bias [32];",
                "unexpected 1.weight [8], 1.bias [8], 1.running_mean [8], 1.running_var [8], 1.num_batches_tracked [], 4.weight",
                "9.weight is [32, 784], model expects [10, 32]",
                "expected: 0.weight [8, 1, 3, 3], 0.bias [8], 3.weight [16, 8, 3, 3]",
                "found: 0.weight [8, 1, 3, 3], 0.bias [8], 1.weight [8]", "11.bias [10]",
            ] {
                XCTAssertTrue(message.contains(part), "'\(part)' not in: \(message)")
            }
        }
    }

    /// The fallback spec (a run config's teacher.model) applies only to files without one.
    func testFallbackSpecOnlyForFilesWithoutEmbeddedSpec() throws {
        let teacherSpec = try ModelSpec.load(path: Self.spec)
        let plain = try Checkpoint.load(from: Self.teacher, fallbackSpec: teacherSpec)
        XCTAssertEqual(plain.spec, teacherSpec)

        let other = ModelSpec(name: "tiny", input: [1, 28, 28], layers: [.flatten, .linear(out: 10, bias: true)])
        var rng = SplitMix64(seed: 1)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("kd-pt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("tiny.safetensors")
        try Checkpoint(model: try ModelBuilder.build(other, rng: &rng), spec: other).save(to: url)
        XCTAssertEqual(try Checkpoint.load(from: url, fallbackSpec: teacherSpec).spec, other)
    }
}

/// The Fashion-MNIST test images (normalised when asked).
private func fashionMNISTTestSet(normalization: Normalization? = nil) throws -> Dataset {
    try TestData.load(source: "fashion-mnist", dataDirectory: nil, normalization: normalization)
}
