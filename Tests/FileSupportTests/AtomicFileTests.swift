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
            XCTAssertEqual(error as? FileWriteError, .cannotCreate(file: url.path, folder: url.deletingLastPathComponent().path))
            XCTAssertEqual("\(error)", "\(url.path): cannot create a file in \(dir.path)/no-such-folder")
        }
    }

    func testEveryMessageIsOneLine() {
        XCTAssertEqual("\(FileWriteError.writeFailed(file: "a.onnx", reason: "disk full\nretry"))", "a.onnx: write failed (disk full retry)")
        XCTAssertEqual("\(FileWriteError.cannotRename(file: "b.svg"))", "b.svg: cannot rename the temporary file into place")
    }
}
