import Foundation

/// Writing that never leaves a half file: temp name in the same folder, flush, rename.
public enum AtomicFile {
    /// Writes `data` to `.<name>.tmp-<pid>` beside `url`, flushes it to disk and renames it over `url`.
    public static func write(_ data: Data, to url: URL) throws(FileWriteError) {
        let folder = url.deletingLastPathComponent()
        let temp = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
            throw .cannotCreate(file: url.path, folder: folder.path)
        }
        do {
            let handle = try FileHandle(forWritingTo: temp)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw .writeFailed(file: url.path, reason: error.localizedDescription)
        }
        guard rename(temp.path, url.path) == 0 else {
            try? FileManager.default.removeItem(at: temp)
            throw .cannotRename(file: url.path)
        }
    }
}
