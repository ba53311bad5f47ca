import FileSupport
import Foundation

/// A run's output folder: the resolved config, checkpoints, metrics.jsonl and summary.json.
///
/// Every file is written to a temporary name and renamed, so a crash never leaves half a file.
public struct RunDirectory {
    public let url: URL

    /// Refuses a folder that must not be used: a file in its place, or an existing non-empty
    /// folder without `force` (so a finished run is never overwritten by accident). Nothing is
    /// created, so a run can check this before any of its other inputs.
    public static func checkUsable(path: String, force: Bool) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue else { throw RunFolderError.notAFolder(path: path) }
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if !contents.isEmpty && !force { throw RunFolderError.exists(path: path) }
    }

    /// Creates (or, with `force`, reuses) the folder; see `checkUsable`.
    public init(path: String, force: Bool) throws {
        try Self.checkUsable(path: path, force: force)
        url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunFolderError.cannotCreate(path: path, reason: error.localizedDescription)
        }
    }

    /// An existing run folder to resume (`kd ... --resume DIR`), as `RunPlan` found it.
    public init(existing path: String) {
        url = URL(fileURLWithPath: path)
    }

    /// Deletes resume files of an earlier run in this folder (a fresh run with --force).
    public func removeResumeFiles() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where name.hasSuffix(".resume.safetensors") {
            do {
                try FileManager.default.removeItem(at: file(name))
            } catch {
                throw RunFolderError.cannotRemove(path: file(name).path, what: "stale resume file")
            }
        }
    }

    /// The path of a file inside the run folder.
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// Writes text atomically.
    public func write(_ text: String, to name: String) throws {
        try AtomicFile.write(Data(text.utf8), to: file(name))
    }
}
