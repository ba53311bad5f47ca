import Foundation
import NN

/// One model's row in a comparison: size, cost, accuracy, and how closely it follows the teacher.
public struct ModelReport {
    public let name: String
    public let parameters: Int
    /// Bytes of the state dict as stored (Float32 tensors; int64 counters).
    public let bytes: Int
    public let megaFlopsPerSample: Double
    public let accuracy: Double
    /// Fraction of test samples whose top-1 class equals the teacher's (nil: no teacher model).
    public let agreement: Double?
    /// Mean KL(teacher || model) at T = 1 over the test set (nil: no teacher model).
    public let klFromTeacher: Double?
    public let expectedCalibrationError: Double
    /// Test samples whose outputs were NaN or infinite (counted as wrong).
    public let nonFiniteOutputs: Int
    /// Milliseconds per sample at batch 1 and at batch 256; nil when latency was not measured.
    public let latencyBatch1: Double?
    public let latencyBatch256: Double?
    /// Mean cross-entropy on the test set (finite outputs only; see `ClassificationMetrics`).
    public let loss: Double
    /// Test accuracy per class (NaN, written as null, for a class with no test samples).
    public let perClassAccuracy: [Double]
    /// confusion[label][predicted] = count on the test set.
    public let confusion: [[Int]]

    /// The row as a JSON-ready dictionary (an unmeasured latency is null).
    var json: [String: Any] {
        [
            "name": name, "parameters": parameters, "bytes": bytes, "mflops_per_sample": megaFlopsPerSample,
            "accuracy": accuracy, "agreement_with_teacher": agreement.map { $0 as Any } ?? NSNull(),
            "kl_from_teacher": klFromTeacher.map { $0 as Any } ?? NSNull(),
            "ece": expectedCalibrationError, "non_finite_outputs": nonFiniteOutputs,
            "latency_ms_batch1": latencyBatch1.map { $0 as Any } ?? NSNull(),
            "latency_ms_per_sample_batch256": latencyBatch256.map { $0 as Any } ?? NSNull(),
            "loss": loss, "per_class_accuracy": perClassAccuracy, "confusion": confusion,
        ]
    }
}

/// Teacher vs students (and baselines, generations) on one test set.
public struct Comparison {
    public let reports: [ModelReport]
    public let dataName: String
    public let samples: Int
    /// The teacher's logits file (`teacher.logits`) when the run had no teacher model: then no
    /// row is the teacher, and agreement and KL are not measured.
    public let teacherLogitsFile: String?

    /// Evaluates every model on `dataset` (each renormalised as it was trained); the first
    /// model is the reference teacher, unless `teacherLogitsFile` says the teacher was a file of
    /// logits (then agreement and KL are nil). Agreement and KL compare sample by sample.
    public init(
        models: [ComparedModel], dataset: Dataset, measureLatency: Bool = true, teacherLogitsFile: String? = nil
    ) throws {
        guard let teacher = models.first else { throw ComparisonError.noModels }
        let hasTeacher = teacherLogitsFile == nil
        for entry in models { try ModelFit.check(entry.model, file: entry.file ?? entry.name, dataset: dataset) }
        let teacherLogits = Inference.logits(of: teacher.model, on: dataset, renormalizing: teacher.input)
        let teacherProbabilities = Tensor(shape: teacherLogits.shape)
        softmax(teacherLogits, into: teacherProbabilities)
        let teacherTop = teacherLogits.argmaxPerRow()
        reports = models.enumerated().map { index, entry in
            let model = entry.model
            let logits =
                index == 0 ? teacherLogits : Inference.logits(of: model, on: dataset, renormalizing: entry.input)
            let metrics = ClassificationMetrics(logits: logits, labels: dataset.labels)
            let top = logits.argmaxPerRow()
            let agree = zip(top, teacherTop).filter { $0 == $1 }.count
            let kl =
                hasTeacher && dataset.count > 0
                ? divergence(.kl, target: teacherProbabilities, studentLogits: logits, temperature: 1, gradient: nil)
                : 0
            let latency = measureLatency ? Latency.measure(model, sample: dataset) : nil
            return ModelReport(
                name: entry.name, parameters: model.parameterCount,
                bytes: model.stateDict.reduce(0) { $0 + $1.value.count * ($1.isInteger ? 8 : 4) },
                megaFlopsPerSample: Double(model.flopsPerSample) / 1e6, accuracy: metrics.accuracy,
                agreement: hasTeacher ? Double(agree) / Double(max(dataset.count, 1)) : nil,
                klFromTeacher: hasTeacher ? max(0, Double(kl)) : nil,
                expectedCalibrationError: metrics.expectedCalibrationError, nonFiniteOutputs: metrics.nonFiniteSamples,
                latencyBatch1: latency?.0, latencyBatch256: latency?.1, loss: metrics.loss,
                perClassAccuracy: metrics.perClassAccuracy, confusion: metrics.confusion)
        }
        dataName = dataset.name
        samples = dataset.count
        self.teacherLogitsFile = teacherLogitsFile
    }

    /// The comparison as a JSON-ready dictionary.
    var jsonObject: [String: Any] {
        var object: [String: Any] = ["data": dataName, "samples": samples, "models": reports.map(\.json)]
        if let teacherLogitsFile { object["teacher_logits"] = teacherLogitsFile }
        return object
    }

    /// The comparison as one JSON object.
    public var json: String { JSONText.encode(jsonObject, pretty: true) }

    /// The columns of `table` (and of the report's comparison, which adds its differences).
    static let columns = [
        "model", "params", "size", "MFLOPs", "accuracy", "agree", "KL(t||m)", "ECE", "ms@1", "ms/s@256",
    ]

    /// A fixed-width table, one row per model.
    public var table: String {
        let header = Self.columns
        let rows = reports.map { r in
            [
                r.name, "\(r.parameters)", ByteCount.format(r.bytes), String(format: "%.3f", r.megaFlopsPerSample),
                String(format: "%.2f%%", 100 * r.accuracy),
                r.agreement.map { String(format: "%.2f%%", 100 * $0) } ?? "-",
                r.klFromTeacher.map { String(format: "%.4f", $0) } ?? "-",
                String(format: "%.4f", r.expectedCalibrationError),
                r.latencyBatch1.map { String(format: "%.3f", $0) } ?? "-",
                r.latencyBatch256.map { String(format: "%.4f", $0) } ?? "-",
            ]
        }
        let widths = header.indices.map { c in ([header] + rows).map { $0[c].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { c, cell in
                c == 0
                    ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
            + "\n\(samples) test samples of \(dataName); "
            + (teacherLogitsFile.map {
                "the teacher is a logits file (\($0)): no teacher row, agree and KL not measured"
            }
                ?? "agree and KL are against \(reports.first?.name ?? "the teacher")")
            + reports.filter { $0.nonFiniteOutputs > 0 }.map {
                "\n\($0.name): \($0.nonFiniteOutputs) samples had NaN or infinite outputs (counted as wrong)"
            }.joined()
    }
}

/// A comparison asked of nothing.
public enum ComparisonError: Error, CustomStringConvertible, Equatable, Sendable {
    case noModels

    public var description: String { "compare: no models given" }
}

/// Human-readable byte counts.
enum ByteCount {
    static func format(_ bytes: Int) -> String {
        if bytes >= 1 << 20 { return String(format: "%.1f MiB", Double(bytes) / Double(1 << 20)) }
        if bytes >= 1 << 10 { return String(format: "%.1f KiB", Double(bytes) / Double(1 << 10)) }
        return "\(bytes) B"
    }
}
