import Foundation
import FileSupport

/// A run's output folder: the resolved config, checkpoints, metrics.jsonl and summary.json.
///
/// Every file is written to a temporary name and renamed, so a crash never leaves half a file.
public struct RunDirectory {
    public let url: URL

    /// Creates (or, with `force`, reuses) the folder. An existing non-empty folder is refused
    /// without `force`, so a finished run is never overwritten by accident.
    public init(path: String, force: Bool) throws {
        url = URL(fileURLWithPath: path)
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw RunError("\(path): exists and is not a folder") }
            let contents = (try? manager.contentsOfDirectory(atPath: path)) ?? []
            if !contents.isEmpty && !force {
                throw RunError("\(path): run folder exists; pass --force to reuse it or --out to choose another")
            }
        }
        do {
            try manager.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw RunError("\(path): cannot create run folder (\(error.localizedDescription))")
        }
    }

    /// An existing run folder to resume (`kd ... --resume DIR`): must hold config.yaml.
    public init(existing path: String) throws {
        url = URL(fileURLWithPath: path)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
            throw RunError("\(path): no such run folder to resume")
        }
    }

    /// The config of the run in `folder` (its config.yaml), with the output set to `folder`.
    public static func resumableConfig(in folder: String) throws -> RunConfig {
        let path = URL(fileURLWithPath: folder).appendingPathComponent("config.yaml").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw RunError("\(folder): not a kd run folder (no config.yaml); nothing to resume")
        }
        return try RunConfig.load(path: path).applying(output: folder)
    }

    /// Deletes resume files of an earlier run in this folder (a fresh run with --force).
    public func removeResumeFiles() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        for name in names where name.hasSuffix(".resume.safetensors") {
            do {
                try FileManager.default.removeItem(at: file(name))
            } catch {
                throw RunError("\(file(name).path): cannot remove the stale resume file")
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

/// Appends one JSON object per line to metrics.jsonl (one line per epoch and phase).
public final class MetricsLog {
    private let url: URL?
    private var lines: [String] = []

    /// `url` nil keeps lines in memory only. `resuming` keeps the lines already in the file.
    public init(url: URL?, resuming: Bool = false) {
        self.url = url
        if resuming, let url, let text = try? String(contentsOf: url, encoding: .utf8) {
            lines = text.split(separator: "\n").map(String.init)
        }
    }

    /// Lines recorded so far.
    public var count: Int { lines.count }

    /// Forgets lines past the first `count` (epochs a resumed run does again) and rewrites the file.
    public func truncate(to count: Int) throws {
        guard count < lines.count else { return }
        lines.removeLast(lines.count - count)
        guard let url else { return }
        try AtomicFile.write(Data((lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n").utf8), to: url)
    }

    /// Records one entry and rewrites the file atomically (the file is small: one line an epoch).
    public func append(_ entry: [String: Any]) throws {
        lines.append(JSONText.encode(entry))
        guard let url else { return }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: url)
    }
}
