import FileSupport
import FileTestSupport
import Foundation
import XCTest

final class AtomicFileTests: XCTestCase {
    func testWriteReplacesTheFileAndLeavesNoTemporary() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("summary.json")
        try AtomicFile.write(Data("one".utf8), to: url)
        try AtomicFile.write(Data("two".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["summary.json"])
    }

    func testMissingFolderIsOneLineNamingTheFile() throws {
        let dir = try TempDir()
        let url = dir.url.appendingPathComponent("no-such-folder/metrics.jsonl")
        XCTAssertThrowsError(try AtomicFile.write(Data(), to: url)) { error in
            XCTAssertEqual(
                error as? FileWriteError, .cannotCreate(file: url.path, folder: url.deletingLastPathComponent().path))
            XCTAssertEqual("\(error)", "\(url.path): cannot create a file in \(dir.path)/no-such-folder")
        }
    }

    func testEveryMessageIsOneLine() {
        XCTAssertEqual(
            "\(FileWriteError.writeFailed(file: "a.onnx", reason: "disk full\nretry"))",
            "a.onnx: write failed (disk full retry)")
        XCTAssertEqual(
            "\(FileWriteError.cannotRename(file: "b.svg"))", "b.svg: cannot rename the temporary file into place")
    }
}

final class StaleTemporaryTests: XCTestCase {
    /// The pid of a process that has run and exited (and been reaped).
    func exitedProcessID() throws -> pid_t {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let pid = process.processIdentifier
        for _ in 0..<100 where kill(pid, 0) == 0 { usleep(10_000) }
        XCTAssertTrue(kill(pid, 0) == -1 && errno == ESRCH, "process \(pid) still exists")
        return pid
    }

    func testLeftoversOfExitedWritersGoOnTheNextWrite() throws {
        let dir = try TempDir()
        let dead = try exitedProcessID()
        let stale = ".metrics.jsonl.tmp-\(dead)"
        let running = ".metrics.jsonl.tmp-1"  // pid 1 always runs
        let otherTarget = ".summary.json.tmp-\(dead)"  // another file's: left to its own next write
        let notAPid = ".metrics.jsonl.tmp-x\(dead)"
        for name in [stale, running, otherTarget, notAPid] { try dir.write(name, "half a file") }
        try AtomicFile.write(Data("{}\n".utf8), to: dir.url.appendingPathComponent("metrics.jsonl"))
        XCTAssertEqual(
            Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)),
            ["metrics.jsonl", running, otherTarget, notAPid])
    }
}
