import Foundation

/// Ctrl-C handling: SIGINT, or SIGTERM (what `kill`, a batch scheduler's time limit and
/// mpirun on its own Ctrl-C send), sets a flag that the trainer checks between batches; it then
/// saves a resumable state and stops with `InterruptedError`. A second signal exits at once.
public enum StopRequest {
    /// Set by the signal handler (a plain word: async-signal-safe to write).
    nonisolated(unsafe) static let flag: UnsafeMutablePointer<Int32> = {
        let p = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        p.initialize(to: 0)
        return p
    }()

    /// Installs the SIGINT and SIGTERM handlers (idempotent).
    public static func installSignalHandler() {
        _ = flag
        for stopSignal in [SIGINT, SIGTERM] {
            signal(stopSignal) { received in
                if StopRequest.flag.pointee != 0 { _exit(128 + received) }
                StopRequest.flag.pointee = 1
            }
        }
    }

    /// True once Ctrl-C (or SIGTERM) arrived.
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

/// A point where the hidden `--crash-at` ends the process with SIGKILL, as a `kill -9` would,
/// for the tests that prove every instant of a phase resumable: `PHASE:EPOCH:start` (before the
/// epoch's first batch), `:BATCH` (after that batch's update, 1-based), `:metrics` (its metrics
/// line written), `:checkpoint` (its checkpoints written) or `:resume` (its resume file written).
/// A suffix `@RANK` kills only that rank of an `mpirun` job (the others are left to Open MPI).
public struct CrashPoint: Equatable, Sendable {
    public enum Moment: Equatable, Sendable {
        case start
        case batch(Int)
        case metrics, checkpoint, resume

        /// The spellings of the flag's MOMENT, for its help and error text.
        public static let spellings = "start|BATCH|metrics|checkpoint|resume"

        init?(_ text: String) {
            switch text {
            case "start": self = .start
            case "metrics": self = .metrics
            case "checkpoint": self = .checkpoint
            case "resume": self = .resume
            default:
                guard let batch = Int(text), batch >= 1 else { return nil }
                self = .batch(batch)
            }
        }
    }
    public let phase: String
    public let epoch: Int
    public let moment: Moment
    /// The one rank that crashes; nil: every process.
    public let rank: Int?

    /// Parses PHASE:EPOCH:MOMENT[@RANK].
    public init?(_ text: String) {
        let (point, rankText) =
            text.firstIndex(of: "@").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) }
            ?? (text, nil)
        let parts = point.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, !parts[0].isEmpty, let e = Int(parts[1]), e >= 1, let m = Moment(parts[2]) else {
            return nil
        }
        if let rankText {
            guard let r = Int(rankText), r >= 0 else { return nil }
            rank = r
        } else {
            rank = nil
        }
        (phase, epoch, moment) = (parts[0], e, m)
    }

    /// Kills this process with SIGKILL (no cleanup, no buffered output) when this is the point
    /// reached on this rank.
    func crash(ifAt phase: String, epoch: Int, _ moment: Moment, rank: Int) {
        guard phase == self.phase, epoch == self.epoch, moment == self.moment, self.rank.map({ $0 == rank }) ?? true
        else { return }
        kill(getpid(), SIGKILL)
        _exit(137)  // not reached: SIGKILL cannot be caught
    }
}
