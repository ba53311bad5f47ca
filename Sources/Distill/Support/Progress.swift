import Foundation
import NN

/// Reports training progress: a live bar on a terminal (phase, epoch, batch, loss, samples/s,
/// ETA), and one plain line per epoch either way (what a log file or CI sees).
public final class Progress {
    private let live: Bool
    private let quiet: Bool
    private var lastDraw = -Double.infinity

    /// `live` defaults to whether stderr is a terminal; `quiet` silences everything.
    public init(live: Bool = isatty(STDERR_FILENO) == 1, quiet: Bool = false) {
        self.live = live && !quiet
        self.quiet = quiet
    }

    /// A batch finished; redraws the bar at most ten times a second.
    public func batch(
        phase: String, epoch: Int, epochs: Int, batch: Int, batches: Int, loss: Float,
        samplesPerSecond: Double, secondsLeft: Double
    ) {
        guard live else { return }
        let now = MonotonicClock.seconds
        guard batch == batches || now - lastDraw >= 0.1 else { return }
        lastDraw = now
        let width = 24
        let filled = batches > 0 ? width * batch / batches : width
        let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
        let text = String(
            format: "\r[%@] epoch %d/%d [%@] %d/%d loss %.4f %.0f samples/s ETA %@ ",
            phase, epoch, epochs, bar, batch, batches, loss, samplesPerSecond,
            Progress.clock(secondsLeft))
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// An epoch finished: clears the bar and prints one line.
    public func epochLine(_ line: String) {
        guard !quiet else { return }
        if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        message(line)
    }

    /// A line for the user (stdout), e.g. "training the teacher first".
    public func message(_ line: String) {
        guard !quiet else { return }
        print(line)
        fflush(stdout)
    }

    /// m:ss or h:mm:ss.
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0, seconds < 1e9 else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600
            ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%d:%02d", s / 60, s % 60)
    }
}
