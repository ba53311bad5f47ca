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

    /// Runs `kd args...` in `directory` and waits for it.
    static func run(_ args: [String], in directory: URL) throws -> Result {
        try runTool(binary, args, in: directory)
    }

    /// Runs any executable with `args`, capturing stdout and stderr.
    static func runTool(_ tool: URL, _ args: [String], in directory: URL) throws -> Result {
        let process = Process()
        process.executableURL = tool
        process.arguments = args
        process.currentDirectoryURL = directory
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
