import Foundation

/// Ctrl-C handling: SIGINT sets a flag that the trainer checks between batches; it then saves
/// a resumable state and stops with `InterruptedError`. A second Ctrl-C exits at once.
public enum StopRequest {
    /// Set by the signal handler (a plain word: async-signal-safe to write).
    nonisolated(unsafe) static let flag: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    /// Installs the SIGINT handler (idempotent).
    public static func installSignalHandler() {
        _ = flag
        signal(SIGINT) { _ in
            if StopRequest.flag.pointee != 0 { _exit(130) }
            StopRequest.flag.pointee = 1
        }
    }

    /// True once Ctrl-C was pressed.
    public static var requested: Bool { flag.pointee != 0 }
}

/// A point to stop at as if Ctrl-C had been pressed (the hidden `--stop-after` flag, for
/// resume tests): after batch `batch` of epoch `epoch` (1-based) of `phase`, or after the
/// whole epoch when `batch` is nil.
public struct StopPoint: Equatable, Sendable {
    public let phase: String
    public let epoch: Int
    public let batch: Int?

    /// Parses PHASE:EPOCH or PHASE:EPOCH:BATCH.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, let e = Int(parts[1]), e >= 1 else { return nil }
        phase = parts[0]
        epoch = e
        if parts.count == 3 {
            guard let b = Int(parts[2]), b >= 1 else { return nil }
            batch = b
        } else {
            batch = nil
        }
    }
}

/// A point where the hidden `--crash-at` ends the process at once with status 137, as a
/// `kill -9` would, for the tests that prove every instant of a phase resumable:
/// `PHASE:EPOCH:start` (before the epoch's first batch), `:metrics` (its metrics line written),
/// `:checkpoint` (its checkpoints written) or `:resume` (its resume file written).
public struct CrashPoint: Equatable, Sendable {
    public enum Moment: String, CaseIterable, Sendable { case start, metrics, checkpoint, resume }
    public let phase: String
    public let epoch: Int
    public let moment: Moment

    /// Parses PHASE:EPOCH:MOMENT.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty, let e = Int(parts[1]), e >= 1, let m = Moment(rawValue: parts[2])
        else {
            return nil
        }
        (phase, epoch, moment) = (parts[0], e, m)
    }

    /// Ends the process (no cleanup, no buffered output) when this is the point reached.
    func crash(ifAt phase: String, epoch: Int, _ moment: Moment) {
        guard self == CrashPoint(phase: phase, epoch: epoch, moment: moment) else { return }
        _exit(137)
    }

    private init(phase: String, epoch: Int, moment: Moment) {
        (self.phase, self.epoch, self.moment) = (phase, epoch, moment)
    }
}
