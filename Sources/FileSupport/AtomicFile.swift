import Foundation

/// Writing that never leaves a half file: temp name in the same folder, flush, rename.
public enum AtomicFile {
    /// False in the ranks of a data-parallel job other than rank 0 (set once at start-up):
    /// `write` then writes nothing, so only rank 0 ever writes a file.
    nonisolated(unsafe) public static var writesFiles = true

    /// Writes `data` to `.<name>.tmp-<pid>` beside `url`, flushes it to disk and renames it over `url`.
    /// Temporaries of `url` left by an interrupted write of a process that no longer runs are
    /// removed first.
    public static func write(_ data: Data, to url: URL) throws(FileWriteError) {
        guard writesFiles else { return }
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).tmp-"
        removeStaleTemporaries(in: folder, prefix: prefix)
        let temp = folder.appendingPathComponent(prefix + String(getpid()))
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

    /// Deletes `<prefix><pid>` files in `folder` whose pid is not a running process (`kill(pid, 0)`
    /// fails with ESRCH). Best effort: a file that cannot be listed or removed is left for later.
    private static func removeStaleTemporaries(in folder: URL, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            let digits = name.dropFirst(prefix.count)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let pid = pid_t(digits), pid > 0, pid != getpid()
            else { continue }
            if kill(pid, 0) == -1 && errno == ESRCH {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
    }
}
