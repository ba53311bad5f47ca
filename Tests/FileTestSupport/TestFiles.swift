import Foundation
import XCTest

/// A fresh temporary folder per test, removed at the end.
public final class TempDir {
    /// The folder.
    public let url: URL
    /// The folder's path.
    public var path: String { url.path }

    /// Creates a uniquely named folder in the system's temporary folder.
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("kd-distill-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `bytes` to `name` (sub-folders created) and returns the path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    /// Writes `text` to `name` and returns the path.
    @discardableResult
    public func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }
}

/// An IDX file: magic 00 00 dtype ndim, big-endian u32 dims, then `payload`.
public func idxBytes(dtype: UInt8 = 0x08, dims: [Int], payload: [UInt8]) -> [UInt8] {
    var b: [UInt8] = [0, 0, dtype, UInt8(dims.count)]
    for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return b + payload
}

/// Asserts that `body` throws an error whose description contains every one of `parts`.
public func assertThrowsMessage<T>(
    _ body: @autoclosure () throws -> T, contains parts: [String],
    file: StaticString = #filePath, line: UInt = #line
) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(parts)", file: file, line: line)
    } catch {
        let text = "\(error)"
        for p in parts where !text.contains(p) {
            XCTFail("error '\(text)' does not contain '\(p)'", file: file, line: line)
        }
    }
}
