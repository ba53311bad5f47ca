import NN

/// Turns inputs normalised one way into inputs normalised another way, per channel, so that a
/// model trained on differently prepared data (a teacher from another run or framework) sees
/// its inputs exactly as it was trained: with raw value r (scaled to [0, 1]), the run feeds
/// x = (r - m_run) / s_run and the model wants y = (r - m_model) / s_model, so
/// `y = x * s_run / s_model + (m_run - m_model) / s_model` (a missing normalisation is mean 0,
/// std 1). Inputs are [B, C, ...] or [B, D] (one channel).
public struct InputRenormalization: Equatable, Sendable {
    /// Per-channel factor and offset: y = x * scale[c] + shift[c].
    public let scale: [Float]
    public let shift: [Float]

    /// The change from `from` to `to` over `channels` channels; nil when they are the same (no
    /// work to do). Throws when either lists another number of channels than the data has.
    public init?(from: Normalization?, to: Normalization?, channels: Int, owner: String) throws {
        guard from != to else { return nil }
        func stats(_ n: Normalization?) throws -> (mean: [Float], std: [Float]) {
            guard let n else { return ([Float](repeating: 0, count: channels), [Float](repeating: 1, count: channels)) }
            guard n.mean.count == channels, n.std.count == channels else {
                throw DataError(
                    owner, "normalisation \(n.mean)/\(n.std) lists \(n.mean.count) channels, the data has \(channels)")
            }
            return (n.mean, n.std)
        }
        let (runMean, runStd) = try stats(from)
        let (modelMean, modelStd) = try stats(to)
        scale = (0..<channels).map { runStd[$0] / modelStd[$0] }
        shift = (0..<channels).map { (runMean[$0] - modelMean[$0]) / modelStd[$0] }
    }

    /// `output` = the renormalised `input` (same shape; `output` is resized, keeping capacity).
    public func apply(_ input: Tensor, into output: Tensor) {
        output.resize(to: input.shape)
        let count = input.count
        input.data.withUnsafeBufferPointer { x in
            output.data.withUnsafeMutableBufferPointer { y in
                transform(x.baseAddress!, into: y.baseAddress!, count: count, batch: input.batch)
            }
        }
    }

    /// Renormalises `tensor` in place.
    public func applyInPlace(_ tensor: Tensor) {
        let (count, batch) = (tensor.count, tensor.batch)
        tensor.data.withUnsafeMutableBufferPointer { y in
            transform(UnsafePointer(y.baseAddress!), into: y.baseAddress!, count: count, batch: batch)
        }
    }

    /// y = x * scale[c] + shift[c] over `count` values: `batch` samples of `scale.count` equal
    /// channel planes each. `x` and `y` may be the same buffer.
    private func transform(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, batch: Int) {
        let c = scale.count
        let plane = count / max(batch * c, 1)
        for row in 0..<(batch * c) {
            let (a, b) = (scale[row % c], shift[row % c])
            for j in (row * plane)..<((row + 1) * plane) { y[j] = x[j] * a + b }
        }
    }
}
