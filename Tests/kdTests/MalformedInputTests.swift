import Foundation
import XCTest

/// The malformed-input corpus (Tests/kdTests/Malformed): every file goes through the real `kd`
/// binary, which must exit 1 with one line on stderr naming the file (or key) and the fault.
final class MalformedInputTests: XCTestCase {
    static let corpus = KDProcess.root.appendingPathComponent("Tests/kdTests/Malformed")
    static func path(_ name: String) -> String { corpus.appendingPathComponent(name).path }

    /// One case: kd arguments, then fragments the single stderr line must contain.
    struct Case {
        let name: String
        let args: [String]
        let fragments: [String]
    }

    static func evaluate(model: String = "good.safetensors", data: String, spec: String? = nil) -> [String] {
        ["evaluate", "--model", path(model), "--data", data] + (spec.map { ["--spec", path($0)] } ?? [])
    }

    static func images(_ file: String) -> [String] {
        evaluate(data: "idx:\(path(file)),\(path("good-labels.idx"))")
    }

    static func labels(_ file: String) -> [String] {
        evaluate(data: "idx:\(path("good-images.idx")),\(path(file))")
    }

    static func csv(_ file: String) -> [String] { evaluate(data: "csv:\(path(file))") }

    static func checkpoint(_ file: String) -> [String] { evaluate(model: file, data: "csv:\(path("good.csv"))") }

    static func spec(_ file: String) -> [String] { evaluate(data: "csv:\(path("good.csv"))", spec: file) }

    static func config(_ file: String) -> [String] { ["distill", "--config", path(file)] }

    static let cases: [Case] = [
        // IDX and gzip
        Case(
            name: "idx-bad-magic", args: images("idx-bad-magic.idx"),
            fragments: ["idx-bad-magic.idx", "bad magic 01 02 08 03"]),
        Case(
            name: "idx-unknown-dtype", args: images("idx-unknown-dtype.idx"),
            fragments: ["idx-unknown-dtype.idx", "unknown IDX element type 0x07"]),
        Case(
            name: "idx-truncated", args: images("idx-truncated.idx"),
            fragments: ["idx-truncated.idx", "truncated: header says 6x2x2 = 24 bytes, file has 20"]),
        Case(
            name: "idx-trailing-bytes", args: images("idx-trailing-bytes.idx"),
            fragments: ["idx-trailing-bytes.idx", "trailing bytes", "(6 extra)"]),
        Case(
            name: "idx-zero-dimension", args: images("idx-zero-dimension.idx"),
            fragments: ["idx-zero-dimension.idx", "IDX dimension 1 is 0"]),
        Case(
            name: "idx-header-cut", args: images("idx-header-cut.idx"),
            fragments: ["idx-header-cut.idx", "header needs 16 bytes for 3 dimensions, file has 8"]),
        Case(
            name: "idx-too-short", args: images("idx-too-short.idx"),
            fragments: ["idx-too-short.idx", "too short for the 4-byte magic"]),
        Case(
            name: "idx-zero-ndim", args: images("idx-zero-ndim.idx"), fragments: ["idx-zero-ndim.idx", "0 dimensions"]),
        Case(
            name: "gz-truncated", args: images("gz-truncated.idx.gz"),
            fragments: ["gz-truncated.idx.gz", "truncated gzip"]),
        Case(name: "gz-corrupt", args: images("gz-corrupt.idx.gz"), fragments: ["gz-corrupt.idx.gz", "corrupt gzip"]),
        Case(
            name: "idx-count-mismatch", args: labels("idx-count-mismatch-labels.idx"),
            fragments: ["idx-count-mismatch-labels.idx", "5 labels for 6 images"]),
        Case(
            name: "idx-negative-label", args: labels("idx-negative-label.idx"),
            fragments: ["idx-negative-label.idx", "label -1 at index 4 is negative"]),
        Case(
            name: "idx-label-beyond-model", args: labels("idx-label-too-large.idx"),
            fragments: ["good.safetensors: model outputs [3] but the data set has 10 classes", "good-images.idx)"]),
        // CSV
        Case(
            name: "csv-ragged", args: csv("csv-ragged.csv"),
            fragments: ["csv-ragged.csv", "line 3", "ragged row: 4 columns, expected 5"]),
        Case(
            name: "csv-non-numeric", args: csv("csv-non-numeric.csv"),
            fragments: ["csv-non-numeric.csv", "line 3, column 3", "not a number: 'two'"]),
        Case(name: "csv-empty", args: csv("csv-empty.csv"), fragments: ["csv-empty.csv", "empty CSV"]),
        Case(
            name: "csv-header-only", args: csv("csv-header-only.csv"),
            fragments: ["csv-header-only.csv", "no data rows"]),
        Case(
            name: "csv-fractional-label", args: csv("csv-fractional-label.csv"),
            fragments: ["csv-fractional-label.csv", "label '1.5' is not an integer"]),
        // safetensors
        Case(
            name: "st-shorter-than-8", args: checkpoint("st-shorter-than-8.safetensors"),
            fragments: ["st-shorter-than-8.safetensors", "shorter than the 8-byte header length"]),
        Case(
            name: "st-header-too-large", args: checkpoint("st-header-too-large.safetensors"),
            fragments: ["st-header-too-large.safetensors", "exceeds the 100000000-byte limit"]),
        Case(
            name: "st-header-past-end", args: checkpoint("st-header-past-end.safetensors"),
            fragments: ["st-header-past-end.safetensors", "runs past the end"]),
        Case(
            name: "st-header-not-object", args: checkpoint("st-header-not-object.safetensors"),
            fragments: ["st-header-not-object.safetensors", "header must be a JSON object"]),
        Case(
            name: "st-header-bad-json", args: checkpoint("st-header-bad-json.safetensors"),
            fragments: ["st-header-bad-json.safetensors", "not valid JSON"]),
        Case(
            name: "st-unknown-dtype", args: checkpoint("st-unknown-dtype.safetensors"),
            fragments: ["st-unknown-dtype.safetensors", "unknown dtype 'Q7'"]),
        Case(
            name: "st-gap", args: checkpoint("st-gap.safetensors"),
            fragments: ["st-gap.safetensors", "gap in the data buffer at byte 4"]),
        Case(
            name: "st-overlap", args: checkpoint("st-overlap.safetensors"),
            fragments: ["st-overlap.safetensors", "overlaps the previous tensor"]),
        Case(
            name: "st-size-mismatch", args: checkpoint("st-size-mismatch.safetensors"),
            fragments: ["st-size-mismatch.safetensors", "shape [3] of F32 needs 3 x 4 bytes"]),
        Case(
            name: "st-trailing-bytes", args: checkpoint("st-trailing-bytes.safetensors"),
            fragments: ["st-trailing-bytes.safetensors", "buffer is 9 bytes but the tensors cover 4"]),
        Case(
            name: "st-buffer-short", args: checkpoint("st-buffer-short.safetensors"),
            fragments: ["st-buffer-short.safetensors", "buffer is 5 bytes but the tensors cover 8"]),
        Case(
            name: "st-duplicate-name", args: checkpoint("st-duplicate-name.safetensors"),
            fragments: ["st-duplicate-name.safetensors", "'a' appears twice"]),
        Case(
            name: "st-metadata-not-strings", args: checkpoint("st-metadata-not-strings.safetensors"),
            fragments: ["st-metadata-not-strings.safetensors", "__metadata__ value for 'x' is not a string"]),
        // checkpoints vs their spec and the data
        Case(
            name: "ckpt-missing-tensor", args: checkpoint("ckpt-missing-tensor.safetensors"),
            fragments: ["ckpt-missing-tensor.safetensors", "missing 1.bias"]),
        Case(
            name: "ckpt-wrong-shape", args: checkpoint("ckpt-wrong-shape.safetensors"),
            fragments: ["ckpt-wrong-shape.safetensors", "1.weight is [3, 5], model expects [3, 4]"]),
        Case(
            name: "ckpt-unexpected-tensor", args: checkpoint("ckpt-unexpected-tensor.safetensors"),
            fragments: ["ckpt-unexpected-tensor.safetensors", "unexpected 2.weight"]),
        Case(
            name: "ckpt-no-spec", args: checkpoint("ckpt-no-spec.safetensors"),
            fragments: ["ckpt-no-spec.safetensors", "no kd model spec in the file"]),
        Case(
            name: "ckpt-bad-embedded-spec", args: checkpoint("ckpt-bad-embedded-spec.safetensors"),
            fragments: ["ckpt-bad-embedded-spec.safetensors", "layers[1] (dropout) has a value out of range"]),
        Case(
            name: "ckpt-spec-not-json", args: checkpoint("ckpt-spec-not-json.safetensors"),
            fragments: ["ckpt-spec-not-json.safetensors", "embedded model spec is invalid"]),
        Case(
            name: "ckpt-bad-normalization", args: checkpoint("ckpt-bad-normalization.safetensors"),
            fragments: ["ckpt-bad-normalization.safetensors", "'kd.normalize'"]),
        Case(
            name: "ckpt-too-few-classes", args: checkpoint("ckpt-too-few-classes.safetensors"),
            fragments: [
                "ckpt-too-few-classes.safetensors: model outputs [2] but the data set has 3 classes", "good.csv)",
            ]),
        Case(
            name: "ckpt-input-mismatch", args: checkpoint("ckpt-input-mismatch.safetensors"),
            fragments: [
                "ckpt-input-mismatch.safetensors: model takes input [1, 3, 3] but the data set's samples are [1, 2, 2]"
            ]),
        Case(
            name: "ckpt-vs-spec", args: spec("spec-input-3x3.yaml"),
            fragments: ["good.safetensors", "1.weight is [3, 4], model expects [3, 9]"]),
        // model specs
        Case(
            name: "spec-bad-input-type", args: spec("spec-bad-input-type.yaml"),
            fragments: ["spec-bad-input-type.yaml:1", "'input' must be a list of integers"]),
        Case(
            name: "spec-batchnorm-eps", args: spec("spec-batchnorm-eps.yaml"),
            fragments: ["spec-batchnorm-eps.yaml:2", "'layers[1].batchnorm.eps' must be a number > 0"]),
        Case(
            name: "spec-conv-kernel-too-large", args: spec("spec-conv-kernel-too-large.yaml"),
            fragments: ["layers[0]", "kernel 5 is larger than the padded input 2x2"]),
        Case(
            name: "spec-dropout-p1", args: spec("spec-dropout-p1.yaml"),
            fragments: ["spec-dropout-p1.yaml:2", "'layers[1].dropout.p' must be a number in [0, 1)"]),
        Case(
            name: "spec-huge-linear", args: spec("spec-huge-linear.yaml"),
            fragments: ["spec-huge-linear.yaml:2", "'layers[1].linear.out' must be a positive integer <= 65536"]),
        Case(
            name: "spec-huge-weights", args: spec("spec-huge-weights.yaml"),
            fragments: ["layers[1]", "would need more than 268435456 weights"]),
        Case(
            name: "spec-linear-needs-flatten", args: spec("spec-linear-needs-flatten.yaml"),
            fragments: ["layers[0]", "add a flatten layer before it"]),
        Case(
            name: "spec-missing-input", args: spec("spec-missing-input.yaml"),
            fragments: ["spec-missing-input.yaml:1", "missing required key 'input'"]),
        Case(
            name: "spec-not-a-mapping", args: spec("spec-not-a-mapping.yaml"),
            fragments: ["spec-not-a-mapping.yaml:1", "must be a mapping"]),
        Case(
            name: "spec-pool-padding", args: spec("spec-pool-padding.yaml"),
            fragments: ["spec-pool-padding.yaml:2", "'layers[0].maxpool2d.padding' must be at most half the kernel"]),
        Case(
            name: "spec-unknown-layer", args: spec("spec-unknown-layer.yaml"),
            fragments: ["spec-unknown-layer.yaml:2", "unknown layer 'lstm'"]),
        Case(
            name: "spec-residual-mismatch", args: spec("spec-residual-mismatch.yaml"),
            fragments: [
                "spec-residual-mismatch.yaml:4", "'layers[1].residual'",
                "body[0] conv2d makes [4, 8, 8] into [8, 4, 4]",
                "identity shortcut gives [4, 8, 8]",
            ]),
        Case(
            name: "spec-residual-empty-body", args: spec("spec-residual-empty-body.yaml"),
            fragments: ["spec-residual-empty-body.yaml:4", "'layers[0].residual.body' must list at least one layer"]),
        Case(
            name: "spec-global-pool-flat", args: spec("spec-global-pool-flat.yaml"),
            fragments: [
                "spec-global-pool-flat.yaml:3", "'layers[0]': GlobalAvgPool2d expects a per-sample shape [C, H, W]",
            ]),
        // run configs
        Case(
            name: "config-alpha", args: config("config-alpha.yaml"),
            fragments: ["config-alpha.yaml:5", "'distillation.alpha' must be a number in [0, 1]"]),
        Case(
            name: "config-bad-yaml", args: config("config-bad-yaml.yaml"),
            fragments: ["config-bad-yaml.yaml:2", "YAML syntax error"]),
        Case(
            name: "config-batch-size-zero", args: config("config-batch-size-zero.yaml"),
            fragments: ["config-batch-size-zero.yaml:2", "'training.batch_size' must be an integer in 1...65536"]),
        Case(
            name: "config-empty", args: config("config-empty.yaml"),
            fragments: ["config-empty.yaml", "empty YAML document"]),
        Case(
            name: "config-missing-model", args: config("config-missing-model.yaml"),
            fragments: ["config-missing-model.yaml:2", "missing required key 'teacher.model'"]),
        Case(
            name: "config-nesterov", args: config("config-nesterov.yaml"),
            fragments: ["config-nesterov.yaml:3", "'training.optimizer.nesterov' needs momentum > 0"]),
        Case(
            name: "config-no-roles", args: config("config-no-roles.yaml"),
            fragments: ["config-no-roles.yaml:1", "needs a 'teacher' or a 'student' section"]),
        Case(
            name: "config-spec-not-found", args: config("config-spec-not-found.yaml"),
            fragments: ["config-spec-not-found.yaml:2", "model spec not found: no-such-spec.yaml"]),
        Case(
            name: "config-temperature-zero", args: config("config-temperature-zero.yaml"),
            fragments: ["config-temperature-zero.yaml:5", "'distillation.temperature' must be a number > 0"]),
        Case(
            name: "config-unknown-key", args: config("config-unknown-key.yaml"),
            fragments: ["config-unknown-key.yaml:3", "unknown key 'trainig'"]),
        Case(
            name: "config-wrong-type", args: config("config-wrong-type.yaml"),
            fragments: ["config-wrong-type.yaml:3", "'training.epochs' must be an integer in 1...10000, got 'ten'"]),
        Case(
            name: "config-teacher-classes", args: config("config-teacher-classes.yaml"),
            fragments: [
                "ckpt-teacher-5-classes.safetensors", "the teacher outputs [5] but the student 'tiny' outputs [3]",
            ]),
        Case(
            name: "config-input-mismatch", args: config("config-input-mismatch.yaml"),
            fragments: ["spec-input-3x3", "model takes input [1, 3, 3] but the data set's samples are [1, 2, 2]"]),
        // limits, and teachers that cannot teach: refused before anything is written
        Case(
            name: "config-epochs-huge", args: config("config-epochs-huge.yaml"),
            fragments: ["config-epochs-huge.yaml:2", "'training.epochs' must be an integer in 1...10000"]),
        Case(
            name: "config-generations-huge", args: config("config-generations-huge.yaml"),
            fragments: ["config-generations-huge.yaml:3", "'distillation.generations' must be an integer in 1...100"]),
        Case(
            name: "spec-too-many-layers", args: spec("spec-too-many-layers.yaml"),
            fragments: ["spec-too-many-layers.yaml:3", "1001 layers, more than the 1000"]),
        Case(
            name: "config-teacher-folder", args: config("config-teacher-folder.yaml"),
            fragments: ["/: is a folder, not a teacher checkpoint file"]),
        Case(
            name: "config-logits-rows", args: config("config-logits-rows.yaml"),
            fragments: ["npy-logits-5-rows.npy: has 5 rows, the training file", "has 12 samples"]),
        Case(
            name: "config-logits-truncated", args: config("config-logits-truncated.yaml"),
            fragments: ["npy-truncated.npy: truncated: header says 12x3 <f4 = 144 bytes, file has 139"]),
        Case(
            name: "config-nan-teacher", args: config("config-nan-teacher.yaml"),
            fragments: ["ckpt-nan-weights.safetensors", "tensor '1.weight' holds NaN"]),
        Case(
            name: "resume-not-a-run", args: ["distill", "--resume", corpus.path],
            fragments: ["not a kd run folder (no config.yaml)"]),
    ]

    /// Files of the corpus that are odd but valid: kd reads them, and stdout says what it read.
    static let readable: [Case] = [
        Case(
            name: "csv-bom-no-header", args: csv("csv-bom-no-header.csv"),
            fragments: ["csv-bom-no-header.csv: 20 samples"]),
        Case(name: "csv-bom-header", args: csv("csv-bom-header.csv"), fragments: ["csv-bom-header.csv: 20 samples"]),
    ]

    func testEveryMalformedFileFailsWithOneClearLine() throws {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 30)
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for c in Self.cases {
            let result = try KDProcess.run(c.args, in: folder)
            XCTAssertEqual(result.status, 1, "\(c.name): exit status; stderr: \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(c.name): one line on stderr, got:\n\(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("kd: error: "), "\(c.name): \(result.stderr)")
            for fragment in c.fragments {
                XCTAssertTrue(result.stderr.contains(fragment), "\(c.name): '\(fragment)' not in: \(result.stderr)")
            }
        }
        XCTAssertEqual(
            (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.filter { $0 != "runs" }, [],
            "a failed command leaves nothing behind")
    }

    /// A model whose outputs are NaN (NaN weights) or overflow (weights of 3e38) is evaluated and
    /// compared without a crash: every such sample counts as wrong and is reported.
    func testNonFiniteOutputsAreCountedNotFatal() throws {
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // NaN weights: every output is NaN. Weights and biases of 3e38: the outputs of the
        // samples whose pixels sum past 0.134 overflow to infinity (4 of the 6 images).
        let idx = "idx:\(Self.path("good-images.idx")),\(Self.path("good-labels.idx"))"
        for (file, nonFinite) in [("ckpt-nan-weights.safetensors", 6), ("ckpt-huge-weights.safetensors", 4)] {
            let evaluate = try KDProcess.run(
                ["evaluate", "--model", Self.path(file), "--data", idx, "--json"], in: folder)
            XCTAssertEqual(evaluate.status, 0, "\(file): \(evaluate.stderr)")
            let report = try JSONSerialization.jsonObject(with: Data(evaluate.stdout.utf8)) as? [String: Any]
            XCTAssertEqual(report?["samples"] as? Int, 6)
            XCTAssertEqual(report?["non_finite_outputs"] as? Int, nonFinite, "\(file): \(evaluate.stdout)")
            let compare = try KDProcess.run(
                [
                    "compare", "--teacher", Self.path("good.safetensors"), "--model", "bad=\(Self.path(file))",
                    "--data", idx, "--no-latency",
                ], in: folder)
            XCTAssertEqual(compare.status, 0, "\(file): \(compare.stderr)")
            XCTAssertTrue(
                compare.stdout.contains("bad: \(nonFinite) samples had NaN or infinite outputs"), compare.stdout)
        }
    }

    func testOddButValidFilesAreReadWhole() throws {
        let folder = try KDProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for c in Self.readable {
            let result = try KDProcess.run(c.args, in: folder)
            XCTAssertEqual(result.status, 0, "\(c.name): exit status; stderr: \(result.stderr)")
            for fragment in c.fragments {
                XCTAssertTrue(result.stdout.contains(fragment), "\(c.name): '\(fragment)' not in: \(result.stdout)")
            }
        }
    }

    /// Every file in the corpus is exercised by some case.
    func testCorpusFilesAreAllUsed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path)
        let used = Set(
            (Self.cases + Self.readable).flatMap(\.args).flatMap { $0.split(whereSeparator: { ",:".contains($0) }) }
                .map { URL(fileURLWithPath: String($0)).lastPathComponent })
        let helpers: Set = [
            "tiny.yaml", "good.csv", "good-images.idx", "good-labels.idx", "good.safetensors",
            "ckpt-teacher-5-classes.safetensors",
            "ckpt-nan-weights.safetensors", "ckpt-huge-weights.safetensors", "npy-logits-5-rows.npy",
            "npy-truncated.npy",
        ]
        for file in files where !used.contains(file) && !helpers.contains(file) {
            XCTFail("\(file) is in the malformed corpus but no case uses it")
        }
    }
}
