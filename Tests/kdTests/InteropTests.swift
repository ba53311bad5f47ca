import Distill
import Foundation
import NN
import SafeTensors
import XCTest

/// Interop through the kd binary: a teacher trained in PyTorch (a plain state_dict fixture) is
/// evaluated and distilled from; students exported to ONNX are checked by onnx and run by
/// onnxruntime, which must reproduce kd's logits.
final class InteropTests: XCTestCase {
    static let fixtures = KDProcess.root.appendingPathComponent("Tests/Fixtures")
    static let teacher = fixtures.appendingPathComponent("pytorch_teacher.safetensors").path
    static let teacherSpec = fixtures.appendingPathComponent("pytorch_teacher.yaml").path

    /// PyTorch's accuracy for the fixture teacher, from the reference file's metadata.
    func pytorchAccuracy() throws -> Double {
        let reference = try SafeTensorsFile(
            contentsOf: Self.fixtures.appendingPathComponent("pytorch_teacher_reference.safetensors"))
        return try XCTUnwrap(Double(reference.metadata["accuracy"] ?? ""))
    }

    func testEvaluatePyTorchTeacherGivesPyTorchAccuracy() throws {
        try SmallData.requireFashionMNIST()
        let result = try KDProcess.run(
            ["evaluate", "--model", Self.teacher, "--spec", Self.teacherSpec, "--json"], in: KDProcess.root)
        XCTAssertEqual(result.status, 0, result.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        print(
            "[interop] kd evaluate of the PyTorch teacher: \(report?["accuracy"] ?? "?"), PyTorch: \(try pytorchAccuracy())"
        )
        XCTAssertEqual(report?["samples"] as? Int, 10000)
        XCTAssertEqual(report?["accuracy"] as? Double, try pytorchAccuracy())
    }

    func testPyTorchTeacherWithWrongSpecFailsOnOneLine() throws {
        let result = try KDProcess.run(
            [
                "evaluate", "--model", Self.teacher, "--spec",
                KDProcess.root.appendingPathComponent("Models/mlp-student.yaml").path,
            ],
            in: KDProcess.root)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("kd: error: "), result.stderr)
        for part in [
            "missing 3.weight [10, 64], 3.bias [10];",
            "unexpected 0.weight [8, 1, 3, 3], 0.bias [8], 1.running_mean [8], 1.running_var [8], 1.num_batches_tracked [], 4.weight",
            "expected: 1.weight [64, 784]", "found: 0.weight [8, 1, 3, 3]",
        ] {
            XCTAssertTrue(result.stderr.contains(part), "'\(part)' not in: \(result.stderr)")
        }
    }

    /// `kd distill` with `teacher.checkpoint` a PyTorch state_dict and `teacher.model` its spec.
    func testDistillFromPyTorchTeacher() throws {
        try SmallData.requireFashionMNIST()
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            atPath: Self.teacher, toPath: folder.appendingPathComponent("teacher.safetensors").path)
        let config = """
            name: from-pytorch
            seed: 5
            data: {source: fashion-mnist, limit: 2000, test_limit: 1000}
            training: {epochs: 1, batch_size: 64, optimizer: {name: adam, lr: 0.002}}
            teacher:
              model: \(Self.teacherSpec)
              checkpoint: teacher.safetensors
            student:
              model: \(KDProcess.root.path)/Models/mlp-student.yaml
            distillation: {temperature: 4, alpha: 0.7, baseline: false}
            """
        try config.write(to: folder.appendingPathComponent("c.yaml"), atomically: true, encoding: .utf8)
        let result = try KDProcess.run(["distill", "--config", "c.yaml", "--out", "run"], in: folder)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("teacher: loaded"), result.stdout)
        XCTAssertFalse(result.stdout.contains("training the teacher first"), result.stdout)
        let summary =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: folder.appendingPathComponent("run/summary.json"))) as? [String: Any]
        let models = summary?["models"] as? [[String: Any]] ?? []
        XCTAssertEqual(models.map { $0["name"] as? String }, ["teacher", "student"])
        print(
            "[interop] distilled from the PyTorch teacher: \(models.map { "\($0["name"] ?? "?") \($0["accuracy"] ?? "?")" })"
        )
        XCTAssertEqual(summary?["samples"] as? Int, 1000)
        XCTAssertGreaterThan(models.first?["accuracy"] as? Double ?? 0, 0.8)
        XCTAssertGreaterThan(models.last?["accuracy"] as? Double ?? 0, 0.6)
    }

    /// An MLP with BatchNorm1d, Linear without bias and Dropout.
    static let mlp = ModelSpec(
        name: "mlp-bn", input: [1, 28, 28],
        layers: [
            .flatten, .linear(out: 64, bias: false), .batchNorm(eps: 1e-5, momentum: 0.1), .relu, .dropout(p: 0.3),
            .linear(out: 10, bias: true),
        ])

    /// A CNN with Conv with and without bias, BatchNorm2d, padded MaxPool and AvgPool.
    static let cnn = ModelSpec(
        name: "cnn-bn-avg", input: [1, 28, 28],
        layers: [
            .conv2d(out: 8, kernel: 3, stride: 1, padding: 1, bias: true), .batchNorm(eps: 1e-3, momentum: 0.1),
            .relu,
            .maxPool2d(kernel: 3, stride: 2, padding: 1),
            .conv2d(out: 16, kernel: 3, stride: 1, padding: 0, bias: false), .relu,
            .avgPool2d(kernel: 3, stride: 2, padding: 1), .flatten, .dropout(p: 0.2), .linear(out: 10, bias: true),
        ])

    /// The thin ResNet-8 of Models/ (identity and strided projection blocks, global pooling).
    static func resnet() throws -> ModelSpec {
        try ModelSpec.load(path: KDProcess.root.appendingPathComponent("Models/resnet8-thin.yaml").path)
    }

    /// The MLP, the CNN and the ResNet (normalised inputs for the last two) with random weights
    /// and BatchNorm statistics, saved by kd, and the trained PyTorch teacher (a plain state_dict,
    /// exported with --spec), each exported with `kd export --format onnx`, checked by
    /// onnx.checker and run by onnxruntime on 256 Fashion-MNIST test images: logits equal kd's
    /// to 1e-4.
    func testONNXExportsRunInOnnxruntime() throws {
        try SmallData.requireFashionMNIST()
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let python = try KDProcess.pythonEnvironment(["onnx", "onnxruntime"])
        let normalization = Normalization(mean: [0.286], std: [0.353])
        var cases: [(name: String, model: String, spec: String?, normalization: Normalization?)] = []
        let specs: [(ModelSpec, Normalization?)] = [
            (Self.mlp, nil), (Self.cnn, normalization), (try Self.resnet(), normalization),
        ]
        for (spec, norm) in specs {
            let saved = folder.appendingPathComponent("\(spec.name).safetensors")
            try randomCheckpoint(spec, normalization: norm, seed: 11).save(to: saved)
            cases.append((spec.name, saved.path, nil, norm))
        }
        cases.append(("pytorch-teacher", Self.teacher, Self.teacherSpec, nil))

        for (name, model, spec, norm) in cases {
            let export = try KDProcess.run(
                ["export", "--model", model, "--format", "onnx", "--out", "\(name).onnx"]
                    + (spec.map { ["--spec", $0] } ?? []),
                in: folder)
            XCTAssertEqual(export.status, 0, export.stderr)
            XCTAssertTrue(export.stdout.contains("exported \(name)"), export.stdout)

            let test = try fashionMNISTTestSet(normalization: norm)
            let n = 256
            let per = test.sampleShape.reduce(1, *)
            let input = Tensor(shape: [n] + test.sampleShape, data: Array(test.samples[0..<(n * per)]))
            // Batches of 64: a debug build grows layer buffers slowly the first time (Tensor.resize).
            let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: model), specPath: spec)
            XCTAssertEqual(checkpoint.normalization, norm)
            let logits = Inference.logits(
                of: checkpoint.model, on: test.subset(Array(0..<n), name: "first \(n)"), batchSize: 64)
            var writer = SafeTensorsWriter()
            writer.add("x", shape: input.shape, floats: input.data)
            try writer.write(to: folder.appendingPathComponent("inputs.safetensors"))

            let script = KDProcess.root.appendingPathComponent("Tests/kdTests/python/onnx_run.py").path
            let run = try KDProcess.runTool(
                python, [script, "\(name).onnx", "inputs.safetensors", "ort.safetensors"], in: folder)
            XCTAssertEqual(run.status, 0, run.stderr)
            print("[interop] \(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))")
            let ort = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("ort.safetensors")).floats("logits")
            XCTAssertEqual(ort.count, logits.count)
            let worst = zip(ort, logits.data).map { abs($0 - $1) }.max() ?? .infinity
            let scale = logits.data.map(abs).max() ?? 0
            print("[interop] onnxruntime vs kd logits, \(name): max abs \(worst) (largest |logit| \(scale))")
            XCTAssertLessThanOrEqual(worst, 1e-4, name)
        }
    }

    /// python/kd_torch.py: `kd_torch.load` of the MLP, the CNN and the ResNet saved by kd builds
    /// the nn.Module of the embedded spec, loads the state_dict strictly, and its eval-mode
    /// logits on 64 random images equal kd's to 1e-4 (pinned torch from scripts/python-env.sh).
    func testPyTorchLoaderReproducesKDLogits() throws {
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let python = try KDProcess.pythonEnvironment(["torch"])
        for spec in [Self.mlp, Self.cnn, try Self.resnet()] {
            let saved = folder.appendingPathComponent("\(spec.name).safetensors")
            let checkpoint = try randomCheckpoint(spec, normalization: nil, seed: 12)
            try checkpoint.save(to: saved)
            let (worst, summary) = try TorchLoader.maxLogitDifference(
                checkpoint, saved: saved, batch: 64, seed: 13, python: python, in: folder)
            print("[interop] \(spec.name): \(summary)")
            print("[interop] kd_torch vs kd logits, \(spec.name): max abs \(worst)")
            XCTAssertLessThanOrEqual(worst, 1e-4, spec.name)
        }
    }

    func testONNXExportFailureIsOneLineAndLeavesNoFile() throws {
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let saved = folder.appendingPathComponent("m.safetensors")
        try randomCheckpoint(
            try ModelSpec.load(path: KDProcess.root.appendingPathComponent("Models/mlp-student.yaml").path),
            normalization: nil, seed: 1
        ).save(to: saved)
        let result = try KDProcess.run(
            ["export", "--model", saved.path, "--format", "onnx", "--out", "missing/m.onnx"], in: folder)
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr.filter { $0 == "\n" }.count, 1, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("kd: error: ") && result.stderr.contains("missing/m.onnx"), result.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["m.safetensors"])
    }

    /// A model built from `spec` with PyTorch's default init and BatchNorm affine parameters and
    /// running statistics drawn at random (so inference-mode BatchNorm is not the identity).
    func randomCheckpoint(_ spec: ModelSpec, normalization: Normalization?, seed: UInt64) throws -> Checkpoint {
        var rng = SplitMix64(seed: seed)
        let model = try ModelBuilder.build(spec, rng: &rng)
        for case let bn as BatchNorm in model.leafLayers.map(\.layer) {
            for i in 0..<bn.numFeatures {
                bn.weight.value.data[i] = rng.uniform(0.5, 1.5)
                bn.bias.value.data[i] = rng.uniform(-0.5, 0.5)
                bn.runningMean.data[i] = rng.uniform(-0.5, 0.5)
                bn.runningVar.data[i] = rng.uniform(0.25, 2)
            }
        }
        return Checkpoint(model: model, spec: spec, normalization: normalization)
    }

}

/// The Fashion-MNIST test images (normalised when asked).
private func fashionMNISTTestSet(normalization: Normalization? = nil) throws -> Dataset {
    try TestData.load(source: "fashion-mnist", dataDirectory: nil, normalization: normalization)
}
