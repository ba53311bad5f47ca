import Foundation
import NN
import SafeTensors
import XCTest

@testable import Distill

/// Born-again generations, online self-distillation (PS-KD) and multi-teacher targets.
final class SelfDistillationTests: XCTestCase {
    /// A separable 3-class problem with 4 features, as a CSV file, plus a tiny MLP spec.
    static func writeProblem(in dir: TempDir, samples: Int = 240) throws {
        var rng = SplitMix64(seed: 11)
        var csv = "label,a,b,c,d\n"
        for i in 0..<samples {
            let label = i % 3
            let features = (0..<4).map { j in Float(j == label ? 2 : 0) + rng.normal() * 0.7 }
            csv += "\(label)," + features.map { String($0) }.joined(separator: ",") + "\n"
        }
        try dir.write("problem.csv", csv)
        try dir.write(
            "mlp.yaml",
            """
            name: tiny-mlp
            input: [4]
            layers:
              - linear: {out: 16}
              - relu
              - linear: {out: 3}
            """)
    }

    func job(_ dir: TempDir, distillation: String, teacher: Bool = true, student: Bool = true) throws -> DistillJob {
        var config = """
            seed: 5
            output: \(dir.path)/run
            data: {source: "csv:\(dir.path)/problem.csv", validation: 60, csv: {scale: 1, shape: [4]}}
            training: {epochs: 3, batch_size: 32, optimizer: {name: adam, lr: 0.01}}
            distillation:
            \(distillation)
            """
        if teacher { config += "\nteacher: {model: \(dir.path)/mlp.yaml}" }
        if student { config += "\nstudent: {model: \(dir.path)/mlp.yaml}" }
        let path = try dir.write("run.yaml", config)
        return try DistillJob(
            plan: RunPlan(.fresh(configPath: path, overrides: RunOverrides())),
            options: RunOptions(quiet: true), task: .distill)
    }

    func testBornAgainGenerationLearnsFromPreviousGenerationFile() throws {
        let dir = try TempDir()
        try Self.writeProblem(in: dir)
        let comparison = try job(
            dir,
            distillation: "  mode: born-again\n  generations: 2\n  temperature: 2\n  alpha: 0.7\n  baseline: false",
            student: false
        ).distill()
        XCTAssertEqual(comparison.reports.map(\.name), ["generation-0", "generation-1", "generation-2"])
        let run = dir.url.appendingPathComponent("run")
        for k in 1...2 {
            let file = try SafeTensorsFile(contentsOf: run.appendingPathComponent("generation-\(k).safetensors"))
            let teacherFile = run.appendingPathComponent("generation-\(k - 1).safetensors")
            XCTAssertEqual(file.metadata["kd.teacher"], teacherFile.lastPathComponent)
            XCTAssertEqual(file.metadata["kd.teacher_fnv1a64"], try FileDigest.fnv1a64(teacherFile))
            XCTAssertEqual(file.metadata["kd.role"], "generation-\(k)")
        }
        // The ensemble accuracy in summary.json is the mean softmax of the stored outputs.
        let outputs = try StoredOutputs.read(run.appendingPathComponent("outputs.safetensors"))
        XCTAssertEqual(outputs.labels.count, 60)
        var correct = 0
        for i in 0..<60 {
            let mean = (0..<3).map { j in
                (outputs.probabilities["generation-1"]!.data[i * 3 + j]
                    + outputs.probabilities["generation-2"]!.data[i * 3 + j]) / 2
            }
            if mean.firstIndex(of: mean.max()!) == Int(outputs.labels[i]) { correct += 1 }
        }
        let summary =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: run.appendingPathComponent("summary.json"))) as? [String: Any]
        let ensemble = summary?["ensemble"] as? [String: Any]
        XCTAssertEqual(ensemble?["accuracy"] as? Double ?? -1, Double(correct) / 60, accuracy: 1e-12)
        XCTAssertEqual(ensemble?["members"] as? [String], ["generation-1", "generation-2"])
        XCTAssertGreaterThan(Double(correct) / 60, 0.8, "a separable problem")
    }

    func testBornAgainRefusesADifferentStudentArchitecture() throws {
        let dir = try TempDir()
        try Self.writeProblem(in: dir)
        try dir.write("other.yaml", "input: [4]\nlayers:\n  - linear: {out: 3}\n")
        let path = try dir.write(
            "bad.yaml",
            """
            data: {source: "csv:\(dir.path)/problem.csv", validation: 60, csv: {scale: 1, shape: [4]}}
            teacher: {model: \(dir.path)/mlp.yaml}
            student: {model: \(dir.path)/other.yaml}
            distillation: {mode: born-again}
            """)
        XCTAssertThrowsError(try RunConfig.load(path: path)) { error in
            XCTAssertTrue("\(error)".contains("student.model"), "\(error)")
        }
    }

    func testProgressiveSelfTargetScheduleRampsToAlpha() {
        let weights = (0..<4).map { ProgressiveSelfObjective.weight(alpha: 0.8, epoch: $0, epochs: 4) }
        for (w, expected) in zip(weights, [Float(0.2), 0.4, 0.6, 0.8]) { XCTAssertEqual(w, expected, accuracy: 1e-7) }
    }

    /// The PS-KD gradient equals cross-entropy against (1 - a) * onehot + a * p_prev, with p_prev
    /// the softmax of the logits stored for each sample the epoch before (one-hot at first).
    func testProgressiveSelfTargetsUseStoredPreviousPredictions() {
        let objective = ProgressiveSelfObjective(alpha: 0.6, samples: 5, classes: 3)
        let labels: [Int32] = [2, 0]
        let indices = [4, 1]
        let gradient = Tensor(shape: [0])
        let first = Tensor(shape: [2, 3], data: [0.5, -1, 2, 1, 0.2, -0.3])
        objective.beginEpoch(0, of: 2)
        _ = objective.loss(logits: first, input: first, labels: labels, mix: nil, indices: indices, gradient: gradient)
        // First visit: target is one-hot, so the gradient is (softmax(s) - onehot) / B.
        assertGradient(gradient, logits: first, targets: [[0, 0, 1], [1, 0, 0]])
        let previous = softmaxRows(first)
        for (row, index) in indices.enumerated() {
            for j in 0..<3 {
                XCTAssertEqual(objective.predictions.data[index * 3 + j], previous[row][j], accuracy: 1e-6)
            }
        }
        objective.beginEpoch(1, of: 2)
        XCTAssertEqual(objective.currentAlpha, 0.6, accuracy: 1e-7)
        let second = Tensor(shape: [2, 3], data: [-0.2, 0.4, 1.1, 0.3, 0.9, -1.5])
        _ = objective.loss(
            logits: second, input: second, labels: labels, mix: nil, indices: indices, gradient: gradient)
        let targets = (0..<2).map { row in
            (0..<3).map { j in 0.4 * (j == Int(labels[row]) ? 1 : 0) + 0.6 * previous[row][j] }
        }
        assertGradient(gradient, logits: second, targets: targets)
    }

    func testSeveralTeachersAverageTheirSoftenedOutputs() throws {
        var rng = SplitMix64(seed: 3)
        let spec = ModelSpec(name: "t", input: [4], initScheme: "default", layers: [.linear(out: 3, bias: true)])
        let teachers = try (0..<2).map { _ in try ModelBuilder.build(spec, rng: &rng) }
        let samples = (0..<20).map { _ in rng.normal() }
        let dataset = try Dataset(
            name: "d", samples: samples, sampleShape: [4], labels: [0, 1, 2, 0, 1], classCount: 3)
        let cached = TeacherTargets.cached(
            teachers: teachers.map { TeacherModel(model: $0) }, dataset: dataset, temperature: 3)
        let live = TeacherTargets.live(teachers: teachers.map { TeacherModel(model: $0) }, temperature: 3)
        let indices = [3, 0, 4]
        let input = Tensor(shape: [3, 4], data: indices.flatMap { Array(samples[($0 * 4)..<($0 * 4 + 4)]) })
        let fromCache = Tensor(shape: [0])
        let fromLive = Tensor(shape: [0])
        cached.fill(fromCache, indices: indices, input: input)
        live.fill(fromLive, indices: indices, input: input)
        let perTeacher = teachers.map { teacher -> [[Float]] in
            let logits = teacher.forward(input, training: false)
            return softmaxRows(Tensor(shape: logits.shape, data: logits.data.map { $0 / 3 }))
        }
        for row in 0..<3 {
            for j in 0..<3 {
                let mean = (perTeacher[0][row][j] + perTeacher[1][row][j]) / 2
                XCTAssertEqual(fromCache.data[row * 3 + j], mean, accuracy: 1e-6)
                XCTAssertEqual(fromLive.data[row * 3 + j], mean, accuracy: 1e-6)
            }
        }
        XCTAssertNotEqual(perTeacher[0][0][0], perTeacher[1][0][0], "two different teachers")
    }

    func testOnlineSelfDistillationRunsAgainstItsBaseline() throws {
        let dir = try TempDir()
        try Self.writeProblem(in: dir)
        let comparison = try job(dir, distillation: "  mode: self\n  alpha: 0.8\n  baseline: true", teacher: false)
            .distill()
        XCTAssertEqual(comparison.reports.map(\.name), ["baseline", "self"])
        XCTAssertGreaterThan(comparison.reports[1].accuracy, 0.8)
        let metrics = try String(contentsOf: dir.url.appendingPathComponent("run/metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").filter { $0.contains("\"phase\":\"self\"") }.count, 3)
    }

    // MARK: helpers

    func softmaxRows(_ logits: Tensor) -> [[Float]] {
        let k = logits.featuresPerItem
        return (0..<logits.batch).map { i in
            let row = (0..<k).map { Double(logits.data[i * k + $0]) }
            let top = row.max()!
            let e = row.map { exp($0 - top) }
            let sum = e.reduce(0, +)
            return e.map { Float($0 / sum) }
        }
    }

    func assertGradient(
        _ gradient: Tensor, logits: Tensor, targets: [[Float]], file: StaticString = #filePath, line: UInt = #line
    ) {
        let q = softmaxRows(logits)
        let b = Float(logits.batch)
        for i in 0..<logits.batch {
            for j in 0..<logits.featuresPerItem {
                XCTAssertEqual(
                    gradient.data[i * 3 + j], (q[i][j] - targets[i][j]) / b, accuracy: 1e-6, file: file, line: line)
            }
        }
    }
}
