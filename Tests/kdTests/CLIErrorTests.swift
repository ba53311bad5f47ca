import Foundation
import XCTest

/// Bad input gets one clear line on stderr naming what is wrong, and a non-zero exit.
final class CLIErrorTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try KDProcess.temporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ text: String, to name: String) throws {
        try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    /// Runs kd and asserts failure with exactly one stderr line containing every fragment.
    func assertFails(
        _ args: [String], mentioning fragments: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let result = try KDProcess.run(args, in: folder)
        XCTAssertNotEqual(result.status, 0, "kd \(args) should fail", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line on stderr, got:\n\(result.stderr)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(
                result.stderr.contains(fragment), "'\(fragment)' not in: \(result.stderr)", file: file, line: line)
        }
    }

    var models: String { KDProcess.root.appendingPathComponent("Models").path }

    func testBadArgumentIsOneLine() throws {
        try assertFails(
            ["distill", "--config", "x.yaml", "--epochs", "abc"], mentioning: ["'abc' is invalid", "--epochs"])
        try assertFails(["frobnicate"], mentioning: ["Unexpected argument 'frobnicate'"])
        let help = try KDProcess.run(["--help"], in: folder)
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("SUBCOMMANDS"), help.stdout)
    }

    func testMissingConfigFile() throws {
        try assertFails(["distill", "--config", "nope.yaml"], mentioning: ["nope.yaml", "no such file"])
    }

    func testUnknownKeyNamesKeyAndLine() throws {
        try write(
            """
            data: {source: fashion-mnist}
            teacher: {model: \(models)/mlp-teacher.yaml}
            student: {model: \(models)/mlp-student.yaml}
            distilation: {alpha: 0.5}
            """, to: "typo.yaml")
        try assertFails(
            ["distill", "--config", "typo.yaml"], mentioning: ["typo.yaml:4", "unknown key 'distilation'"])
    }

    func testOutOfRangeValueNamesKey() throws {
        try write(
            """
            teacher: {model: \(models)/mlp-teacher.yaml}
            student: {model: \(models)/mlp-student.yaml}
            distillation:
              alpha: 1.5
            """, to: "alpha.yaml")
        try assertFails(["distill", "--config", "alpha.yaml"], mentioning: ["alpha.yaml:4", "distillation.alpha"])
    }

    func testMissingDataFolder() throws {
        try write(
            """
            teacher: {model: \(models)/mlp-teacher.yaml}
            student: {model: \(models)/mlp-student.yaml}
            """, to: "ok.yaml")
        try assertFails(
            ["distill", "--config", "ok.yaml", "--data-dir", "/nonexistent/fmnist"], mentioning: ["/nonexistent/fmnist"]
        )
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: folder.appendingPathComponent("runs").path),
            "nothing is written when the data cannot be read")
    }

    func testTruncatedIDXFile() throws {
        let data = folder.appendingPathComponent("idx")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        // 10 images of 28x28 announced, 5 bytes present.
        var images = Data([0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 28, 0, 0, 0, 28])
        images.append(Data(count: 5))
        try images.write(to: data.appendingPathComponent("train-images-idx3-ubyte"))
        try Data([0, 0, 8, 1, 0, 0, 0, 10] + [UInt8](repeating: 1, count: 10))
            .write(to: data.appendingPathComponent("train-labels-idx1-ubyte"))
        try assertFails(
            [
                "evaluate", "--model", "x.safetensors", "--data",
                "idx:\(data.path)/train-images-idx3-ubyte,\(data.path)/train-labels-idx1-ubyte",
            ],
            mentioning: ["x.safetensors"])
        try write(
            """
            data: {source: "idx:\(data.path)/train-images-idx3-ubyte,\(data.path)/train-labels-idx1-ubyte", validation: 2}
            teacher: {model: \(models)/mlp-teacher.yaml}
            """, to: "idx.yaml")
        try assertFails(["train", "--config", "idx.yaml"], mentioning: ["train-images-idx3-ubyte", "truncated"])
    }

    func testCorruptCheckpoint() throws {
        try Data("this is not a safetensors file at all".utf8).write(
            to: folder.appendingPathComponent("bad.safetensors"))
        try assertFails(["evaluate", "--model", "bad.safetensors"], mentioning: ["bad.safetensors", "header"])
    }

    func testCheckpointWithoutSpecNeedsOne() throws {
        var bytes = Data()
        let header = #"{"0.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(Data(header.utf8))
        bytes.append(Data(count: 4))
        try bytes.write(to: folder.appendingPathComponent("plain.safetensors"))
        try assertFails(
            ["evaluate", "--model", "plain.safetensors"],
            mentioning: ["plain.safetensors", "model spec", "--spec SPEC"])
        try assertFails(
            ["export", "--model", "plain.safetensors", "--out", "x.onnx"],
            mentioning: ["plain.safetensors", "--spec SPEC"])
        try assertFails(
            ["evaluate", "--model", "plain.safetensors", "--spec", "\(models)/mlp-student.yaml"],
            mentioning: ["missing 1.weight", "unexpected 0.weight"])
    }

    func testModelDataShapeMismatch() throws {
        try write("label,a,b,c\n1,0,0,1\n0,1,1,0\n", to: "tiny.csv")
        try write(
            """
            data: {source: "csv:tiny.csv", validation: 1}
            teacher: {model: \(models)/mlp-teacher.yaml}
            """, to: "csv.yaml")
        try assertFails(["train", "--config", "csv.yaml"], mentioning: ["mlp-teacher", "[1, 28, 28]", "[3]"])
    }
}
