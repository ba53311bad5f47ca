import Foundation
import XCTest

/// Runs the built `kd` binary as a user would and captures what it prints.
struct KDProcess {
    struct Result {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The repository root (for Models/ and scripts/).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The kd executable beside the test bundle (.build/<config>/kd).
    static var binary: URL {
        let bundle = Bundle(for: Marker.self).bundleURL
        let products = bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
        return products.appendingPathComponent("kd")
    }

    private final class Marker {}

    /// Runs `kd args...` in `directory` and waits for it (with `environment` instead of the
    /// test's own when given).
    static func run(_ args: [String], in directory: URL, environment: [String: String]? = nil) throws -> Result {
        try runTool(binary, args, in: directory, environment: environment)
    }

    /// Runs any executable with `args`, capturing stdout and stderr.
    static func runTool(_ tool: URL, _ args: [String], in directory: URL, environment: [String: String]? = nil)
        throws -> Result
    {
        let process = Process()
        process.executableURL = tool
        process.arguments = args
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stderr = PipeDrain(err)
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Result(status: shellStatus(process), stdout: stdout, stderr: stderr.text())
    }

    /// Reads a child's pipe to its end on a background queue, so that a child writing more than
    /// the pipe's buffer (64 KiB) to it never blocks while the other pipe is read.
    private final class PipeDrain: @unchecked Sendable {
        private var data = Data()
        private let finished = DispatchSemaphore(value: 0)

        init(_ pipe: Pipe) {
            DispatchQueue.global().async {
                self.data = pipe.fileHandleForReading.readDataToEndOfFile()
                self.finished.signal()
            }
        }

        /// Everything the pipe received, once its writer has closed it.
        func text() -> String {
            finished.wait()
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// Starts `tool args` in `directory`, waits until the file `progress` (relative to
    /// `directory`) has `lines` lines (at most 120 s), sends `signal` to the process, and returns
    /// its status (128 + the signal when the signal ended it) and stderr once it has exited.
    static func interrupt(
        _ tool: URL, _ args: [String], in directory: URL, with signal: Int32, whenLinesOf progress: String,
        reach lines: Int
    ) throws -> Result {
        let process = Process()
        process.executableURL = tool
        process.arguments = args
        process.currentDirectoryURL = directory
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = PipeDrain(err)
        let file = directory.appendingPathComponent(progress)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline,
            ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").count < lines
        {
            usleep(2_000)
        }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return Result(status: shellStatus(process), stdout: "", stderr: stderr.text())
    }

    /// The exit status, or 128 + the signal for a process a signal ended, as a shell reports it
    /// (137 for SIGKILL).
    private static func shellStatus(_ process: Process) -> Int32 {
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// A Python with numpy, safetensors and `packages` from PyPI (versions pinned), in a venv
    /// under .build (scripts/python-env.sh).
    static func pythonEnvironment(_ packages: [String]) throws -> URL {
        let result = try runTool(
            URL(fileURLWithPath: "/bin/bash"), [root.appendingPathComponent("scripts/python-env.sh").path] + packages,
            in: root)
        XCTAssertEqual(result.status, 0, result.stderr)
        return URL(fileURLWithPath: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
