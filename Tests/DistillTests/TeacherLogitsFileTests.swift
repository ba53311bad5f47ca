import DataFormats
import Foundation
import NN
import SafeTensors
import XCTest

@testable import Distill

/// `teacher.logits: FILE`: a teacher's logits over the training file stand in for the teacher.
final class TeacherLogitsFileTests: XCTestCase {
    /// An NPY v1.0 float32 file of `values` [rows, columns], as `np.save` writes it.
    static func npy(_ values: [Float], rows: Int, columns: Int) -> Data {
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
        var bytes: [UInt8] = [
            0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8),
        ]
        bytes += header
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 } }
        return Data(bytes)
    }

    /// The data section every run here shares: 297 CSV rows, 40 held out for validation, 250
    /// used (`data.limit`), so training sample i is not the file's row i.
    static func data(_ dir: TempDir, extra: String = "") -> String {
        "data: {source: \"csv:\(dir.path)/problem.csv\", validation: 40, limit: 250, csv: {scale: 1, shape: [4]}\(extra)}"
    }

    static func config(
        _ dir: TempDir, teacher: String, distillation: String = "", extra: String = "", output: String = "run"
    )
        -> String
    {
        """
        seed: 3
        output: \(dir.path)/\(output)
        \(data(dir, extra: extra))
        training: {epochs: 2, batch_size: 32, optimizer: {name: adam, lr: 0.01}}
        teacher: \(teacher)
        student: {model: \(dir.path)/mlp.yaml}
        distillation: {temperature: 2, alpha: 0.7\(distillation)}
        """
    }

    static func job(_ path: String) throws -> DistillJob {
        try DistillJob(
            plan: RunPlan(.fresh(configPath: path, overrides: RunOverrides())), options: RunOptions(quiet: true),
            task: .distill)
    }

    /// Trains a kd teacher (with the cached teacher targets of `distillation`), exports its
    /// logits over the whole training file in file order, and distils again from the file:
    /// the two students (and baselines) are the same bit for bit, which proves the row mapping.
    func assertFileEqualsCache(distillation: String, file name: String, write: (Tensor, URL) throws -> Void) throws {
        let dir = try TempDir()
        try SelfDistillationTests.writeProblem(in: dir, samples: 297)
        let teacherPath = "\(dir.path)/teacher.safetensors"
        let cached = try dir.write(
            "cached.yaml",
            Self.config(
                dir, teacher: "{model: \(dir.path)/mlp.yaml, checkpoint: \(teacherPath), training: {epochs: 3}}",
                distillation: distillation, output: "cached"))
        let viaCache = try Self.job(cached).distill()

        let teacher = try Checkpoint.load(from: URL(fileURLWithPath: teacherPath))
        let wholeFile = try DataSplits.load(
            DataConfig(
                source: .csv(train: "\(dir.path)/problem.csv", test: nil), csv: CSVOptions(scale: 1, shape: [4])),
            seed: 0)
        XCTAssertEqual(wholeFile.train.count, 297)
        XCTAssertNil(wholeFile.trainFileRows)
        let logits = Inference.logits(of: teacher.model, on: wholeFile.train)
        let file = dir.url.appendingPathComponent(name)
        try write(logits, file)

        let fromFile = try dir.write(
            "file.yaml", Self.config(dir, teacher: "{logits: \(file.path)}", distillation: distillation, output: "file")
        )
        let viaFile = try Self.job(fromFile).distill()

        for phase in ["student", "baseline"] {
            let a = try SafeTensorsFile(contentsOf: dir.url.appendingPathComponent("cached/\(phase).safetensors"))
            let b = try SafeTensorsFile(contentsOf: dir.url.appendingPathComponent("file/\(phase).safetensors"))
            XCTAssertEqual(a.names, b.names)
            for tensor in a.names {
                XCTAssertEqual(try a.rawBytes(tensor), try b.rawBytes(tensor), "\(phase) \(tensor)")
            }
        }
        XCTAssertEqual(viaCache.reports.map(\.name), ["teacher", "student", "baseline"])
        XCTAssertEqual(viaFile.reports.map(\.name), ["student", "baseline"])
        XCTAssertEqual(viaFile.reports.map(\.accuracy), Array(viaCache.reports.dropFirst().map(\.accuracy)))
        XCTAssertTrue(viaFile.reports.allSatisfy { $0.agreement == nil && $0.klFromTeacher == nil })
        XCTAssertTrue(viaFile.table.contains("the teacher is a logits file (\(file.path))"), viaFile.table)
        XCTAssertFalse(viaFile.table.contains("nan"), viaFile.table)
        let summary = try String(contentsOf: dir.url.appendingPathComponent("file/summary.json"), encoding: .utf8)
        XCTAssertTrue(summary.contains("\"agreement_with_teacher\" : null"), summary)
        XCTAssertTrue(summary.contains("\"teacher_logits_train_accuracy\" : "), summary)
        // The resolved config names the file and reads back to the same run.
        let written = try String(contentsOf: dir.url.appendingPathComponent("file/config.yaml"), encoding: .utf8)
        let again = try RunConfig(yaml: written, file: dir.url.appendingPathComponent("again.yaml").path)
        XCTAssertEqual(again.teacherLogits, file.path)
        XCTAssertNil(again.teacher)
    }

    func testStudentFromNPYFileEqualsStudentFromCachedTeacherBitForBit() throws {
        try assertFileEqualsCache(distillation: "", file: "teacher_logits.npy") { logits, url in
            try Self.npy(logits.data, rows: logits.shape[0], columns: logits.shape[1]).write(to: url)
        }
    }

    func testStudentFromSafetensorsLogitsWithDKDEqualsCachedTeacher() throws {
        try assertFileEqualsCache(distillation: ", loss: dkd, standardize_logits: true", file: "t.safetensors") {
            logits, url in
            var writer = SafeTensorsWriter()
            writer.add("logits", shape: logits.shape, floats: logits.data)
            writer.add("labels", shape: [logits.shape[0]], floats: [Float](repeating: 0, count: logits.shape[0]))
            try writer.write(to: url)
        }
    }

    func testSafetensorsWithOneUnnamedTensorOrNoneNamedLogits() throws {
        let dir = try TempDir()
        var one = SafeTensorsWriter()
        one.add("out", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        try one.write(to: dir.url.appendingPathComponent("one.safetensors"))
        let read = try TeacherLogitsFile.read(path: dir.path + "/one.safetensors")
        XCTAssertEqual([read.rows, read.columns], [2, 3])
        XCTAssertEqual(read.values, [1, 2, 3, 4, 5, 6])
        var two = one
        two.add("other", shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        try two.write(to: dir.url.appendingPathComponent("two.safetensors"))
        XCTAssertThrowsError(try TeacherLogitsFile.read(path: dir.path + "/two.safetensors")) {
            XCTAssertEqual(
                "\($0)",
                "\(dir.path)/two.safetensors: holds 2 tensors and none named 'logits' (expected a tensor 'logits' or a single F32 tensor)"
            )
        }
        var flat = SafeTensorsWriter()
        flat.add("logits", shape: [6], floats: [1, 2, 3, 4, 5, 6])
        try flat.write(to: dir.url.appendingPathComponent("flat.safetensors"))
        XCTAssertThrowsError(try TeacherLogitsFile.read(path: dir.path + "/flat.safetensors")) {
            XCTAssertTrue(
                "\($0)".contains("flat.safetensors: tensor 'logits' has shape [6]; teacher logits are a 2-D array"))
        }
        try Data([1, 2, 3]).write(to: dir.url.appendingPathComponent("bad.safetensors"))
        XCTAssertThrowsError(try TeacherLogitsFile.read(path: dir.path + "/bad.safetensors")) {
            XCTAssertTrue("\($0)".contains("bad.safetensors: file is 3 bytes"), "\($0)")
        }
    }

    /// Each mistake is one line naming the file, before the run folder exists.
    func testBadFilesAreRefusedBeforeTheRunFolder() throws {
        let dir = try TempDir()
        try SelfDistillationTests.writeProblem(in: dir, samples: 297)
        func write(_ name: String, rows: Int, columns: Int, bad: Int? = nil) throws -> String {
            var values = [Float](repeating: 0.5, count: rows * columns)
            if let bad { values[bad] = .nan }
            let url = dir.url.appendingPathComponent(name)
            try Self.npy(values, rows: rows, columns: columns).write(to: url)
            return url.path
        }
        let cases: [(String, String)] = [
            (
                try write("rows.npy", rows: 250, columns: 3),
                "rows.npy: has 250 rows, the training file \(dir.path)/problem.csv has 297 samples (one row of teacher logits per sample, in file order)"
            ),
            (
                try write("cols.npy", rows: 297, columns: 10),
                "cols.npy: has 10 logits per row, the student outputs 3 classes"
            ),
            (
                try write("nan.npy", rows: 297, columns: 3, bad: 3 * 200 + 1),
                "nan.npy: row 200 (counting from 0) holds nan"
            ),
            (dir.path + "/none.npy", "none.npy: no such file (expected the teacher's logits, 'teacher.logits')"),
            (dir.path, "is a folder (expected the teacher's logits file, 'teacher.logits')"),
        ]
        for (path, message) in cases {
            let config = try dir.write("run.yaml", Self.config(dir, teacher: "{logits: \(path)}"))
            XCTAssertThrowsError(try Self.job(config), path) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"), "\(error)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/run"), path)
        }
        // A file of the right shape passes the checks.
        let good = try write("good.npy", rows: 297, columns: 3)
        _ = try Self.job(try dir.write("run.yaml", Self.config(dir, teacher: "{logits: \(good)}")))
    }

    func testConfigRefusesWhatTheFileCannotServe() throws {
        let dir = try TempDir()
        try SelfDistillationTests.writeProblem(in: dir)
        try dir.write("image.yaml", "input: [1, 2, 2]\nlayers: [flatten, {linear: {out: 3}}]\n")
        let file = dir.path + "/run.yaml"
        func config(_ teacher: String, distillation: String = "{}", data: String = "", student: String = "mlp.yaml")
            throws -> RunConfig
        {
            try RunConfig(
                yaml:
                    "data: {source: fashion-mnist\(data)}\nteacher: \(teacher)\nstudent: {model: \(student)}\ndistillation: \(distillation)\n",
                file: file)
        }
        try dir.write("logits.npy", "")  // found beside the config (the file is read when the run starts)
        let parsed = try config("{logits: logits.npy}")
        XCTAssertEqual(parsed.teacherLogits, dir.path + "/logits.npy")
        XCTAssertNil(parsed.teacher)
        XCTAssertTrue(try parsed.resolvedYAML().contains("logits: \(dir.path)/logits.npy"))
        for (teacher, distillation, data, student, message) in [
            (
                "{logits: l.npy, model: mlp.yaml}", "{}", "", "mlp.yaml",
                "run.yaml:2: 'teacher.logits' replaces the teacher model: a run takes its teacher from a logits file or from a model, not both; remove 'teacher.model'"
            ),
            ("{logits: l.npy, checkpoint: t.safetensors}", "{}", "", "mlp.yaml", "remove 'teacher.checkpoint'"),
            (
                "{logits: l.npy}", "{mode: born-again}", "", "mlp.yaml",
                "run.yaml:2: 'teacher.logits' works with distillation.mode standard only; mode born-again trains its own teachers"
            ),
            ("{logits: l.npy}", "{mode: self}", "", "mlp.yaml", "mode self trains its own teachers"),
            (
                "{logits: l.npy}", "{teachers: [a.safetensors]}", "", "mlp.yaml",
                "'teacher.logits' and 'distillation.teachers' both name the teacher; give one of them"
            ),
            (
                "{logits: l.npy}", "{cache_teacher_logits: false}", ", augment: {flip: {p: 0.5}}", "image.yaml",
                "run.yaml:2: 'teacher.logits' holds the teacher's outputs of the clean training images, but 'data.augment' changes the student's inputs every epoch; remove one of them"
            ),
            (
                "{logits: l.npy}", "{}", ", augment: {flip: {p: 0.5}}", "image.yaml",
                "'teacher.logits' holds the teacher's outputs"
            ),
            ("{logits: [l.npy]}", "{}", "", "mlp.yaml", "'teacher.logits' must be"),
        ] {
            XCTAssertThrowsError(try config(teacher, distillation: distillation, data: data, student: student), message)
            {
                XCTAssertTrue("\($0)".contains(message), "\($0)")
            }
        }
        XCTAssertThrowsError(
            try RunConfig(yaml: "data: {source: fashion-mnist}\nteacher: {logits: l.npy}\n", file: file)
        ) { XCTAssertTrue("\($0)".contains("'teacher.logits' needs a 'student' section"), "\($0)") }
        XCTAssertThrowsError(try parsed.requireTeacher(for: "training a teacher")) {
            XCTAssertTrue(
                "\($0)".contains(
                    "training a teacher needs a teacher model, and the config's teacher is a logits file ('teacher.logits', which only kd distill uses)"
                ), "\($0)")
        }
        XCTAssertThrowsError(try parsed.applying(teacherCheckpoint: "t.safetensors")) {
            XCTAssertTrue("\($0)".contains("the config's teacher is a logits file"), "\($0)")
        }
    }
}
