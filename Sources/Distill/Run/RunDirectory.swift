import Foundation
import SafeTensors

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

    /// `url` nil keeps lines in memory only.
    public init(url: URL?) { self.url = url }

    /// Records one entry and rewrites the file atomically (the file is small: one line an epoch).
    public func append(_ entry: [String: Any]) throws {
        lines.append(JSONText.encode(entry))
        guard let url else { return }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: url)
    }
}
