/// Random translation and horizontal flip of image batches, in place.
///
/// For a sample [C, H, W], the translation zero-pads it by `padding` on every side and crops
/// it back to H x W at offset (oy, ox), each uniform in [0, 2 * padding]: out[c][r][q] =
/// x[c][r + oy - padding][q + ox - padding] (zero outside x). The flip then mirrors the
/// columns: out[c][r][q] = cropped[c][r][W - 1 - q].
///
/// Sample k of a batch draws from `key.generator(sample: indices[k])`, four draws in order:
/// crop (applied when the draw is < `cropProbability`), oy, ox, flip (applied when the draw is
/// < `flipProbability`). All four are drawn whatever is applied, so changing one probability
/// leaves the other draws unchanged.
public struct CropFlip: Sendable, Equatable {
    /// Zero padding on each side before the crop (>= 0; 0 means no translation).
    public let padding: Int
    /// Probability of translating a sample, in [0, 1].
    public let cropProbability: Float
    /// Probability of flipping a sample, in [0, 1].
    public let flipProbability: Float

    /// Values as validated by the run config (padding >= 0, probabilities in [0, 1]).
    public init(padding: Int, cropProbability: Float, flipProbability: Float) {
        precondition(padding >= 0 && (0...1).contains(cropProbability) && (0...1).contains(flipProbability))
        (self.padding, self.cropProbability, self.flipProbability) = (padding, cropProbability, flipProbability)
    }

    /// What sample `sample` gets under `key`: the offsets (oy, ox) relative to no translation
    /// (each in [-padding, padding], 0 when not translated) and whether it is flipped.
    @inline(__always)
    public func draw(_ key: AugmentKey, sample: Int) -> (dy: Int, dx: Int, flip: Bool) {
        var g = key.generator(sample: sample)
        let crop = g.nextUnit() < cropProbability
        let span = UInt64(2 * padding + 1)
        let oy = Int(g.next() % span) - padding
        let ox = Int(g.next() % span) - padding
        let flip = g.nextUnit() < flipProbability
        return crop ? (oy, ox, flip) : (0, 0, flip)
    }

    /// Samples per thread below which a batch is done on one thread.
    private static let samplesPerThread = 16

    /// Augments x [B, C, H, W] in place; `indices` (B values) are the samples' indices in the
    /// data set.
    public func apply(to x: Tensor, indices: [Int], key: AugmentKey) {
        precondition(
            x.shape.count == 4 && indices.count == x.shape[0], "CropFlip: x \(x.shape), \(indices.count) indices")
        let (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3])
        x.data.withUnsafeMutableBufferPointer { xp in
            indices.withUnsafeBufferPointer { ip in
                Parallel.forRanges(
                    ip.count, minimumPerThread: Self.samplesPerThread, align: 1,
                    CropFlipJob(
                        augment: self, key: key, x: xp.baseAddress!, indices: ip.baseAddress!, channels: channels,
                        height: height, width: width))
            }
        }
    }
}

/// Crops and flips samples of a batch in place, one plane at a time. Row r of the output reads
/// row r + dy of the input, so rows are done upwards when dy >= 0 and downwards otherwise,
/// each source row being read before it is overwritten; a row goes through a W-float stack
/// buffer.
private struct CropFlipJob: RangeJob {
    let augment: CropFlip
    let key: AugmentKey
    let x: UnsafeMutablePointer<Float>
    let indices: UnsafePointer<Int>
    let channels: Int
    let height: Int
    let width: Int

    func run(_ range: Range<Int>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: width) { row in
            for k in range {
                let (dy, dx, flip) = augment.draw(key, sample: indices[k])
                if dy == 0 && dx == 0 && !flip { continue }
                for c in 0..<channels {
                    plane(x + (k * channels + c) * height * width, dy: dy, dx: dx, flip: flip, row: row.baseAddress!)
                }
            }
        }
    }

    /// One H x W plane at `p`.
    @inline(__always)
    private func plane(_ p: UnsafeMutablePointer<Float>, dy: Int, dx: Int, flip: Bool, row: UnsafeMutablePointer<Float>)
    {
        for step in 0..<height {
            let r = dy >= 0 ? step : height - 1 - step
            let out = p + r * width
            let source = r + dy
            guard source >= 0 && source < height else {
                out.update(repeating: 0, count: width)
                continue
            }
            row.update(from: p + source * width, count: width)
            for q in 0..<width {
                let column = (flip ? width - 1 - q : q) + dx
                out[q] = column >= 0 && column < width ? row[column] : 0
            }
        }
    }
}
