import ArgumentParser
import Distill
import XCTest

@testable import kd

/// Every subcommand parsed in process: the values and defaults each option gives, and the
/// combinations `validate()` refuses.
final class CLIParseTests: XCTestCase {
    /// Parses `arguments` as `kd ...` and casts the result to the subcommand `T`.
    func parse<T: ParsableCommand>(
        _ type: T.Type, _ arguments: [String], file: StaticString = #filePath,
        line: UInt = #line
    ) throws -> T {
        let command = try KD.parseAsRoot(arguments)
        return try XCTUnwrap(
            command as? T, "kd \(arguments) parsed as \(Swift.type(of: command))", file: file, line: line)
    }

    /// `kd arguments...` fails to parse (or validate), with a message containing `fragment`.
    func assertRefused(
        _ arguments: [String], mentioning fragment: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try KD.parseAsRoot(arguments), "kd \(arguments) should be refused", file: file, line: line)
        { error in
            let message = KD.message(for: error)
            XCTAssertTrue(message.contains(fragment), "'\(fragment)' not in: \(message)", file: file, line: line)
        }
    }

    func testTrain() throws {
        let train = try parse(TrainCommand.self, ["train", "--config", "c.yaml"])
        XCTAssertEqual(train.flags.config, "c.yaml")
        XCTAssertNil(train.flags.resume)
        XCTAssertNil(train.flags.epochs)
        XCTAssertNil(train.flags.seed)
        XCTAssertNil(train.flags.out)
        XCTAssertNil(train.flags.dataDirectory.path)
        XCTAssertFalse(train.flags.force)
        XCTAssertFalse(train.flags.quiet)
        guard case .fresh(let path, let overrides) = train.flags.start() else { return XCTFail("a fresh run") }
        XCTAssertEqual(path, "c.yaml")
        XCTAssertNil(overrides.teacherCheckpoint)
        XCTAssertNil(overrides.epochs)

        let full = try parse(
            TrainCommand.self,
            [
                "train", "-c", "c.yaml", "--epochs", "3", "--seed", "7", "--out", "o",
                "--data-dir", "/d", "--force", "--quiet", "--stop-after", "teacher:1:2",
            ])
        XCTAssertEqual(full.flags.epochs, 3)
        XCTAssertEqual(full.flags.seed, 7)
        XCTAssertEqual(full.flags.out, "o")
        XCTAssertEqual(full.flags.options.dataDirectory, "/d")
        XCTAssertEqual(full.flags.options.stopAfter, StopPoint("teacher:1:2"))
        guard case .fresh(_, let fullOverrides) = full.flags.start() else { return XCTFail("a fresh run") }
        XCTAssertEqual(fullOverrides.epochs, 3)
        XCTAssertEqual(fullOverrides.seed, 7)
        XCTAssertEqual(fullOverrides.output, "o")
        XCTAssertTrue(full.flags.force && full.flags.quiet)
        XCTAssertEqual(full.flags.stopAfter, "teacher:1:2")

        let resume = try parse(TrainCommand.self, ["train", "--resume", "runs/x"])
        XCTAssertEqual(resume.flags.resume, "runs/x")
        guard case .resume(let folder) = resume.flags.start() else { return XCTFail("a resumed run") }
        XCTAssertEqual(folder, "runs/x")

        assertRefused(["train"], mentioning: "give --config FILE")
        assertRefused(["train", "--resume", "r", "--epochs", "2"], mentioning: "drop --config, --epochs")
        assertRefused(
            ["train", "-c", "c.yaml", "--stop-after", "teacher"], mentioning: "--stop-after takes PHASE:EPOCH[:BATCH]")
        assertRefused(["train", "-c", "c.yaml", "--epochs", "abc"], mentioning: "--epochs")
    }

    func testDistill() throws {
        let distill = try parse(DistillCommand.self, ["distill", "--config", "c.yaml"])
        XCTAssertEqual(distill.flags.config, "c.yaml")
        XCTAssertNil(distill.teacher)
        XCTAssertNil(distill.temperature)
        XCTAssertNil(distill.alpha)

        let set = try parse(
            DistillCommand.self,
            [
                "distill", "-c", "c.yaml", "--teacher", "t.safetensors", "--temperature", "2",
                "--alpha", "0.25",
            ])
        XCTAssertEqual(set.teacher, "t.safetensors")
        XCTAssertEqual(set.temperature, 2)
        XCTAssertEqual(set.alpha, 0.25)
        guard
            case .fresh(_, let overrides) = set.flags.start(
                teacher: set.teacher, temperature: set.temperature, alpha: set.alpha)
        else { return XCTFail("a fresh run") }
        XCTAssertEqual(overrides.teacherCheckpoint, "t.safetensors")
        XCTAssertEqual(overrides.temperature, 2)
        XCTAssertEqual(overrides.alpha, 0.25)

        assertRefused(
            ["distill", "--resume", "r", "--alpha", "0.5"], mentioning: "drop --teacher, --temperature and --alpha")
        assertRefused(["distill", "--resume", "r", "--config", "c.yaml"], mentioning: "--resume r continues the run")
    }

    func testEvaluate() throws {
        let evaluate = try parse(EvaluateCommand.self, ["evaluate", "--model", "m.safetensors"])
        XCTAssertEqual(evaluate.checkpoint.model, "m.safetensors")
        XCTAssertNil(evaluate.checkpoint.spec)
        XCTAssertEqual(evaluate.data.source, "fashion-mnist")
        XCTAssertNil(evaluate.data.directory.path)
        XCTAssertFalse(evaluate.output.json)
        XCTAssertNil(try evaluate.normalization.normalization())

        let set = try parse(
            EvaluateCommand.self,
            [
                "evaluate", "--model", "m.safetensors", "--spec", "s.yaml", "--data", "mnist",
                "--data-dir", "/d", "--json",
            ])
        XCTAssertEqual(set.checkpoint.spec, "s.yaml")
        XCTAssertEqual(set.data.source, "mnist")
        XCTAssertEqual(set.data.directory.path, "/d")
        XCTAssertTrue(set.output.json)

        assertRefused(["evaluate"], mentioning: "--model")
        assertRefused(
            ["evaluate", "--model", "m", "--normalize-mean", "0.5"],
            mentioning: "--normalize-mean/--normalize-std: 1 mean and 0 std values")
        assertRefused(
            ["evaluate", "--model", "m", "--normalize-mean", "0.5", "--normalize-std", "0"], mentioning: "every std > 0"
        )
        assertRefused(["evaluate", "--model", "m", "--normalize-mean", "x"], mentioning: "--normalize-mean")
    }

    /// --normalize-mean and --normalize-std repeat once per channel.
    func testEvaluateNormalization() throws {
        let evaluate = try parse(
            EvaluateCommand.self,
            [
                "evaluate", "--model", "m", "--normalize-mean", "0.5", "--normalize-std", "0.1", "--normalize-mean",
                "0.4",
                "--normalize-std", "0.2",
            ])
        XCTAssertEqual(try evaluate.normalization.normalization(), Normalization(mean: [0.5, 0.4], std: [0.1, 0.2]))
    }

    func testCompare() throws {
        let compare = try parse(CompareCommand.self, ["compare", "--teacher", "t.safetensors"])
        XCTAssertEqual(
            try compare.lineup(),
            [
                CompareCommand.Entry(
                    name: "teacher", path: "t.safetensors", specPath: nil,
                    specOption: "--teacher-spec SPEC or --spec-for teacher=SPEC")
            ])
        XCTAssertNil(compare.teacherSpec)
        XCTAssertNil(compare.studentSpec)
        XCTAssertNil(compare.baselineSpec)
        XCTAssertEqual(compare.specFor, [])
        XCTAssertEqual(compare.data.source, "fashion-mnist")
        XCTAssertNil(compare.data.directory.path)
        XCTAssertFalse(compare.output.json)
        XCTAssertFalse(compare.noLatency)

        let full = try parse(
            CompareCommand.self,
            [
                "compare", "--teacher", "t", "--student", "s1", "--student", "s2", "--baseline", "b", "--model",
                "gen2=g=2",
                "--data", "idx:/d", "--json", "--no-latency",
            ])
        XCTAssertEqual(try full.lineup().map(\.name), ["teacher", "student-1", "student-2", "baseline", "gen2"])
        XCTAssertEqual(try full.lineup().map(\.path), ["t", "s1", "s2", "b", "g=2"])
        XCTAssertEqual(full.data.source, "idx:/d")
        XCTAssertTrue(full.output.json && full.noLatency)
        XCTAssertEqual(
            try parse(CompareCommand.self, ["compare", "--teacher", "t", "--student", "s"]).lineup().map(\.name),
            ["teacher", "student"])

        assertRefused(["compare"], mentioning: "--teacher")
        assertRefused(
            ["compare", "--teacher", "t", "--student-spec", "s.yaml"],
            mentioning: "--student-spec is given but no --student")
        assertRefused(
            ["compare", "--teacher", "t", "--baseline-spec", "s.yaml"],
            mentioning: "--baseline-spec is given but no --baseline")
        assertRefused(
            ["compare", "--teacher", "t", "--spec-for", "teacher"],
            mentioning: "--spec-for takes NAME=SPEC, got 'teacher'")
        assertRefused(
            ["compare", "--teacher", "t", "--spec-for", "student=s.yaml"],
            mentioning: "--spec-for student=s.yaml: no model is named 'student' (models: teacher)")
        assertRefused(
            ["compare", "--teacher", "t", "--spec-for", "teacher=a", "--spec-for", "teacher=b"],
            mentioning: "--spec-for names 'teacher' twice")
        assertRefused(
            ["compare", "--teacher", "t", "--model", "gen2"], mentioning: "--model takes NAME=PATH, got 'gen2'")
        assertRefused(["compare", "--teacher", "t", "--model", "=x"], mentioning: "--model takes NAME=PATH")
        assertRefused(["compare", "--teacher", "t", "--model", "x="], mentioning: "--model takes NAME=PATH")
        assertRefused(
            ["compare", "--teacher", "t", "--model", "a=x", "--model", "a=y"], mentioning: "two models are named 'a'")
        assertRefused(
            ["compare", "--teacher", "t", "--model", "teacher=x"], mentioning: "two models are named 'teacher'")
    }

    /// --teacher-spec, --student-spec (every student) and --baseline-spec give their role's
    /// files a spec; --spec-for NAME=SPEC gives any one model one and wins over them.
    func testCompareSpecs() throws {
        let compare = try parse(
            CompareCommand.self,
            [
                "compare", "--teacher", "t", "--teacher-spec", "t.yaml", "--student", "s1", "--student", "s2",
                "--student-spec", "s.yaml",
                "--baseline", "b", "--baseline-spec", "b.yaml", "--model", "g=g.safetensors",
                "--spec-for", "g=g.yaml", "--spec-for", "student-2=s2.yaml",
            ])
        let lineup = try compare.lineup()
        XCTAssertEqual(lineup.map(\.name), ["teacher", "student-1", "student-2", "baseline", "g"])
        XCTAssertEqual(lineup.map(\.specPath), ["t.yaml", "s.yaml", "s2.yaml", "b.yaml", "g.yaml"])
        XCTAssertEqual(
            lineup.map(\.specOption),
            [
                "--teacher-spec SPEC or --spec-for teacher=SPEC", "--student-spec SPEC or --spec-for student-1=SPEC",
                "--student-spec SPEC or --spec-for student-2=SPEC", "--baseline-spec SPEC or --spec-for baseline=SPEC",
                "--spec-for g=SPEC",
            ])
        let plain = try parse(
            CompareCommand.self, ["compare", "--teacher", "t", "--model", "g=x", "--spec-for", "teacher=t.yaml"])
        XCTAssertEqual(try plain.lineup().map(\.specPath), ["t.yaml", nil])
    }

    /// --normalize-for NAME=MEAN[,MEAN..]/STD[,STD..] gives one model its input normalisation.
    func testCompareNormalization() throws {
        let compare = try parse(
            CompareCommand.self,
            [
                "compare", "--teacher", "t", "--model", "g=x", "--model", "rgb=y", "--normalize-for", "g=0.5/0.1",
                "--normalize-for", "rgb=0.1, 0.2,0.3/1,2,3",
            ])
        XCTAssertEqual(
            try compare.lineup().map(\.normalization),
            [
                nil, Normalization(mean: [0.5], std: [0.1]), Normalization(mean: [0.1, 0.2, 0.3], std: [1, 2, 3]),
            ])
        XCTAssertEqual(compare.normalizeFor, ["g=0.5/0.1", "rgb=0.1, 0.2,0.3/1,2,3"])

        let base = ["compare", "--teacher", "t", "--model", "g=x"]
        assertRefused(
            base + ["--normalize-for", "g=0.5"],
            mentioning: "--normalize-for g takes MEAN[,MEAN...]/STD[,STD...] (one value per channel), got '0.5'")
        assertRefused(
            base + ["--normalize-for", "g=a/0.1"], mentioning: "--normalize-for g takes MEAN[,MEAN...]/STD[,STD...]")
        assertRefused(
            base + ["--normalize-for", "g=0.5,0.4/0.1"], mentioning: "--normalize-for g: 2 mean and 1 std values")
        assertRefused(base + ["--normalize-for", "g=0.5/-1"], mentioning: "every std > 0")
        assertRefused(
            base + ["--normalize-for", "h=0.5/0.1"], mentioning: "no model is named 'h' (models: teacher, g)")
        assertRefused(base + ["--normalize-for", "0.5/0.1"], mentioning: "--normalize-for takes NAME=MEAN/STD")
    }

    func testExport() throws {
        let export = try parse(ExportCommand.self, ["export", "--model", "m.safetensors", "--out", "o.safetensors"])
        XCTAssertEqual(export.checkpoint.model, "m.safetensors")
        XCTAssertNil(export.checkpoint.spec)
        XCTAssertEqual(export.format, .safetensors)
        XCTAssertEqual(export.out, "o.safetensors")
        let onnx = try parse(
            ExportCommand.self, ["export", "--model", "m", "--spec", "s.yaml", "--format", "onnx", "--out", "o"])
        XCTAssertEqual(onnx.format, .onnx)
        XCTAssertEqual(onnx.checkpoint.spec, "s.yaml")

        assertRefused(["export", "--model", "m"], mentioning: "--out")
        assertRefused(
            ["export", "--model", "m", "--out", "o", "--format", "tflite"], mentioning: "'tflite' is invalid")
    }

    func testPlot() throws {
        let plot = try parse(PlotCommand.self, ["plot", "runs/a", "runs/b"])
        XCTAssertEqual(plot.runs, ["runs/a", "runs/b"])
        XCTAssertNil(plot.out)
        XCTAssertNil(plot.title)
        let set = try parse(PlotCommand.self, ["plot", "runs/a", "--out", "c.svg", "--title", "T"])
        XCTAssertEqual(set.out, "c.svg")
        XCTAssertEqual(set.title, "T")
    }

    func testReport() throws {
        let one = try parse(ReportCommand.self, ["report", "runs/a"])
        XCTAssertEqual(one.runs, ["runs/a"])
        XCTAssertNil(one.out)
        XCTAssertEqual(try parse(ReportCommand.self, ["report", "runs/a", "runs/b", "--out", "r.html"]).out, "r.html")
    }

    func testBench() throws {
        let bench = try parse(BenchCommand.self, ["bench"])
        XCTAssertFalse(bench.quick || bench.profile || bench.synthetic)
        XCTAssertNil(bench.epochs)
        XCTAssertNil(bench.steps)
        XCTAssertEqual(bench.batchSize, 128)
        XCTAssertNil(bench.only)
        XCTAssertEqual(bench.models, "Models")
        XCTAssertNil(bench.dataDirectory.path)
        XCTAssertNil(bench.json)
        XCTAssertFalse(bench.augment || bench.noMix)

        let set = try parse(
            BenchCommand.self,
            [
                "bench", "--quick", "--profile", "--augment", "--no-mix", "--synthetic", "--epochs", "2", "--steps",
                "5",
                "--batch-size", "64", "--only", "mlp-student", "--models", "M",
                "--data-dir", "/d", "--json", "b.json",
            ])
        XCTAssertTrue(set.quick && set.profile && set.augment && set.noMix && set.synthetic)
        XCTAssertEqual(set.epochs, 2)
        XCTAssertEqual(set.steps, 5)
        XCTAssertEqual(set.batchSize, 64)
        XCTAssertEqual(set.only, "mlp-student")
        XCTAssertEqual(set.models, "M")
        XCTAssertEqual(set.dataDirectory.path, "/d")
        XCTAssertEqual(set.json, "b.json")

        assertRefused(["bench", "--batch-size", "x"], mentioning: "--batch-size")
        assertRefused(["bench", "--no-mix"], mentioning: "--no-mix goes with --augment")
    }

    func testUnknownSubcommandIsRefused() {
        assertRefused(["frobnicate"], mentioning: "frobnicate")
    }
}
