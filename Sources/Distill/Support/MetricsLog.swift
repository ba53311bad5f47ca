import FileSupport
import Foundation

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

    /// How many of the first `prefix` lines belong to `phase`.
    public func lineCount(ofPhase phase: String, inFirst prefix: Int) -> Int {
        lines.prefix(prefix).filter { Self.phase(of: $0) == phase }.count
    }

    /// Forgets every line of `phase` (a phase that starts over) and rewrites the file.
    public func removeLines(ofPhase phase: String) throws {
        let kept = lines.filter { Self.phase(of: $0) != phase }
        guard kept.count != lines.count else { return }
        lines = kept
        try rewrite()
    }

    /// The "phase" field of one metrics line (nil when the line is not a JSON object with one).
    private static func phase(of line: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["phase"] as? String
    }

    private func rewrite() throws {
        guard let url else { return }
        try AtomicFile.write(Data((lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n").utf8), to: url)
    }

    /// Forgets lines past the first `count` (epochs a resumed run does again) and rewrites the file.
    public func truncate(to count: Int) throws {
        guard count < lines.count else { return }
        lines.removeLast(lines.count - count)
        try rewrite()
    }

    /// Records one entry and rewrites the file atomically (the file is small: one line an epoch).
    public func append(_ entry: [String: Any]) throws {
        lines.append(JSONText.encode(entry))
        try rewrite()
    }
}
