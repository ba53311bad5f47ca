/// Where a sample's augmentation bits come from: a counter-based key (run seed, phase seed,
/// epoch, view) that, with the sample's index in the data set, names an independent SplitMix64
/// stream. The bits of a sample depend on nothing else: not on the thread that draws them, the
/// batch the sample is in, nor where a resumed run restarted.
public struct AugmentKey: Sendable, Equatable {
    /// The run's seed.
    public var seed: UInt64
    /// The training phase's own seed (teacher, student, baseline, a generation).
    public var phase: UInt64
    /// The epoch, 0-based.
    public var epoch: Int
    /// Which view of the sample (0 for the live view).
    public var view: Int

    public init(seed: UInt64, phase: UInt64, epoch: Int, view: Int = 0) {
        (self.seed, self.phase, self.epoch, self.view) = (seed, phase, epoch, view)
    }

    /// The generator of sample `sample` (its index in the data set), hashed from the key's
    /// values and the index one after the other.
    @inline(__always)
    public func generator(sample: Int) -> SplitMix64 {
        var h = SplitMix64.mix(seed &+ SplitMix64.increment)
        h = mix(h, phase)
        h = mix(h, UInt64(bitPattern: Int64(epoch)))
        h = mix(h, UInt64(bitPattern: Int64(view)))
        h = mix(h, UInt64(bitPattern: Int64(sample)))
        return SplitMix64(seed: h)
    }

    /// The generator of sample `sample` for another purpose than crop/flip: the same hash with
    /// `stream` folded in after the index (`MixPairs.stream`), so the streams are independent.
    @inline(__always)
    public func generator(sample: Int, stream: UInt64) -> SplitMix64 {
        var g = generator(sample: sample)
        return SplitMix64(seed: mix(g.next(), stream))
    }

    /// One step of the hash: folds `value` into `h`.
    @inline(__always)
    private func mix(_ h: UInt64, _ value: UInt64) -> UInt64 {
        SplitMix64.mix((h ^ value) &+ SplitMix64.increment)
    }
}
