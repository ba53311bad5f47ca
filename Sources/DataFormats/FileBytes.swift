import Foundation

/// The bytes of `path`, or one clear error naming the path and what was expected there.
func readFileBytes(_ path: String, expected: String) throws -> [UInt8] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw DataError(path, "no such file (expected \(expected))")
    }
    guard !isDir.boolValue else { throw DataError(path, "is a folder (expected \(expected))") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError(path, "cannot read the file (expected \(expected))")
    }
    return [UInt8](data)
}
