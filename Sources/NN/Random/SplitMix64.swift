import Foundation

/// The one seeded random generator of a run (SplitMix64): init, dropout masks and shuffling all
/// draw from it, so the same config and seed give the same bits. `state` is the whole state,
/// so saving and restoring it resumes the exact stream.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The full generator state.
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The amount `state` advances per draw.
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// Next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// The output for a given state: draw i (0-based) from state s is `mix(s + (i + 1) * increment)`,
    /// so a stream can be cut into ranges drawn independently (`kd_dropout_mask` does so in C).
    @inline(__always)
    static func mix(_ state: UInt64) -> UInt64 {
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Skips `count` draws.
    mutating func advance(by count: Int) { state &+= UInt64(count) &* Self.increment }

    /// Uniform in [0, 1), from the top 24 bits (every value exactly representable in Float).
    public mutating func nextUnit() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnit()
    }

    /// Standard normal, by the Box-Muller transform (one draw per call, in Double).
    public mutating func normal() -> Float {
        let u1 = Double(next() >> 11) * 0x1.0p-53
        let u2 = Double(next() >> 11) * 0x1.0p-53
        let r = (-2 * log(max(u1, Double.leastNonzeroMagnitude))).squareRoot()
        return Float(r * cos(2 * Double.pi * u2))
    }

    /// An independent generator derived from this one (e.g. one per worker or per purpose).
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next()) }

    /// A uniformly random permutation of 0..<n (Fisher-Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 {
            for i in stride(from: n - 1, to: 0, by: -1) {
                let j = Int(next() % UInt64(i + 1))
                p.swapAt(i, j)
            }
        }
        return p
    }
}
