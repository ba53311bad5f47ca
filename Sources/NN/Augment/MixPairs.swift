import Foundation

/// Mixup (Zhang et al. 2018) and cutmix (Yun et al. 2019) of image batches, per sample and in
/// place, as timm's `Mixup(mode='elem')` with its partners `x.flip(0)`.
///
/// Sample k of a batch of B is mixed with its partner j = B − 1 − k (for odd B the middle sample
/// is its own partner and stays as it is, weight 1). Each sample draws from its own stream,
/// `key.generator(sample: indices[k], stream: MixPairs.stream)` (CropFlip's streams are left
/// as they were), in order: the switch u (cutmix when both are set and u < 0.5, else mixup;
/// drawn whatever is set), the apply draw (the mix happens when it is < the mode's p), then
/// lam ~ Beta(alpha, alpha) (`BetaSampler`), then for cutmix the box centre (cy uniform in
/// 0..<H, cx in 0..<W). Not applied: lam = 1.
///
/// - Mixup: x_k <- lam·x_k + (1 − lam)·x_j (both from the originals).
/// - Cutmix (timm's `rand_bbox`): cut ratio sqrt(1 − lam), box height Int(H·ratio) and width
///   Int(W·ratio) around the centre, clipped to the image: rows cy − h/2 ..< cy + h/2 and
///   columns likewise; x_k's box <- x_j's same box, every channel; lam becomes
///   1 − box area / (H·W) (timm's `correct_lam`).
///
/// The label weights follow: sample k's target is lam_k·y_k + (1 − lam_k)·y_j.
public struct MixPairs: Sendable, Equatable {
    /// One mixing mode: lam ~ Beta(alpha, alpha), applied with probability p.
    public struct Mode: Sendable, Equatable {
        /// alpha > 0.
        public var alpha: Float
        /// In [0, 1].
        public var p: Float

        public init(alpha: Float, p: Float = 1) {
            precondition(alpha > 0 && (0...1).contains(p), "MixPairs.Mode: alpha \(alpha), p \(p)")
            (self.alpha, self.p) = (alpha, p)
        }
    }

    /// The salt of the mixing streams (ASCII "mixpairs"), folded into the sample's key after its
    /// index, so the crop/flip bits of a sample do not change when mixing is added.
    public static let stream: UInt64 = 0x6D69_7870_6169_7273

    public let mixup: Mode?
    public let cutmix: Mode?

    public init(mixup: Mode? = nil, cutmix: Mode? = nil) { (self.mixup, self.cutmix) = (mixup, cutmix) }

    /// What one sample gets: its weight lam (1: unmixed) and, for cutmix, the box (rows
    /// y0..<y1, columns x0..<x1); an empty box for mixup.
    public struct Draw: Equatable, Sendable {
        public var lambda: Float
        public var cut: Bool
        public var y0 = 0
        public var y1 = 0
        public var x0 = 0
        public var x1 = 0
    }

    /// The draw of sample `sample` (its index in the data set) under `key`, for an H x W image.
    public func draw(_ key: AugmentKey, sample: Int, height: Int, width: Int) -> Draw {
        var g = key.generator(sample: sample, stream: Self.stream)
        let switchDraw = g.nextUnit()
        let useCut: Bool
        switch (mixup, cutmix) {
        case (.some, .some): useCut = switchDraw < 0.5
        case (nil, .some): useCut = true
        case (.some, nil): useCut = false
        case (nil, nil): return Draw(lambda: 1, cut: false)
        }
        guard let mode = useCut ? cutmix : mixup, g.nextUnit() < mode.p else { return Draw(lambda: 1, cut: false) }
        let a = Double(mode.alpha)
        let lam = BetaSampler.beta(a, a, &g)
        guard useCut else { return Draw(lambda: Float(lam), cut: false) }
        let ratio = (1 - lam).squareRoot()
        let (ch, cw) = (Int(Double(height) * ratio), Int(Double(width) * ratio))
        let cy = Int(g.next() % UInt64(height))
        let cx = Int(g.next() % UInt64(width))
        var d = Draw(lambda: 1, cut: true)
        d.y0 = min(max(cy - ch / 2, 0), height)
        d.y1 = min(max(cy + ch / 2, 0), height)
        d.x0 = min(max(cx - cw / 2, 0), width)
        d.x1 = min(max(cx + cw / 2, 0), width)
        d.lambda = Float(1 - Double((d.y1 - d.y0) * (d.x1 - d.x0)) / Double(height * width))
        return d
    }

    /// Pairs per thread below which a batch is done on one thread.
    private static let pairsPerThread = 8

    /// Mixes x [B, C, H, W] in place; `indices` are the samples' indices in the data set and
    /// `labels` their labels. Writes sample k's partner label into `partnerLabels[k]` and its
    /// weight into `lambdas[k]` (both must hold B values; the caller keeps them).
    public func apply(
        to x: Tensor, indices: [Int], labels: [Int32], key: AugmentKey, partnerLabels: inout [Int32],
        lambdas: inout [Float]
    ) {
        let batch = indices.count
        precondition(
            x.shape.count == 4 && x.shape[0] == batch && labels.count == batch && partnerLabels.count == batch
                && lambdas.count == batch, "MixPairs: x \(x.shape), \(batch) indices, \(labels.count) labels")
        let (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3])
        x.data.withUnsafeMutableBufferPointer { xp in
            indices.withUnsafeBufferPointer { ip in
                labels.withUnsafeBufferPointer { lp in
                    partnerLabels.withUnsafeMutableBufferPointer { pp in
                        lambdas.withUnsafeMutableBufferPointer { lamp in
                            Parallel.forRanges(
                                (batch + 1) / 2, minimumPerThread: Self.pairsPerThread, align: 1,
                                MixPairsJob(
                                    mix: self, key: key, x: xp.baseAddress!, indices: ip.baseAddress!,
                                    labels: lp.baseAddress!, partnerLabels: pp.baseAddress!, lambdas: lamp.baseAddress!,
                                    batch: batch, channels: channels, height: height, width: width))
                        }
                    }
                }
            }
        }
    }
}

/// Mixes pairs (k, B − 1 − k) for k in the range. Both mixup and cutmix are pointwise (output
/// element i of sample k reads element i of k and of j only), so a pair is done element by
/// element, each step reading both originals before writing both: in place, with no buffer.
private struct MixPairsJob: RangeJob {
    let mix: MixPairs
    let key: AugmentKey
    let x: UnsafeMutablePointer<Float>
    let indices: UnsafePointer<Int>
    let labels: UnsafePointer<Int32>
    let partnerLabels: UnsafeMutablePointer<Int32>
    let lambdas: UnsafeMutablePointer<Float>
    let batch: Int
    let channels: Int
    let height: Int
    let width: Int

    func run(_ range: Range<Int>) {
        let size = channels * height * width
        for k in range {
            let j = batch - 1 - k
            partnerLabels[k] = labels[j]
            partnerLabels[j] = labels[k]
            guard j != k else {
                lambdas[k] = 1
                continue
            }
            let dk = mix.draw(key, sample: indices[k], height: height, width: width)
            let dj = mix.draw(key, sample: indices[j], height: height, width: width)
            lambdas[k] = dk.lambda
            lambdas[j] = dj.lambda
            if dk.lambda == 1 && dj.lambda == 1 { continue }
            let (xk, xj) = (x + k * size, x + j * size)
            if !dk.cut && !dj.cut {
                let (lk, lj) = (dk.lambda, dj.lambda)
                for i in 0..<size {
                    let (a, b) = (xk[i], xj[i])
                    xk[i] = lk * a + (1 - lk) * b
                    xj[i] = lj * b + (1 - lj) * a
                }
                continue
            }
            for c in 0..<channels {
                for r in 0..<height where Self.changes(dk, row: r) || Self.changes(dj, row: r) {
                    let offset = (c * height + r) * width
                    row(xk + offset, xj + offset, r: r, dk, dj)
                }
            }
        }
    }

    /// One row r of both samples of a pair, at least one of them cut.
    @inline(__always)
    private func row(
        _ rk: UnsafeMutablePointer<Float>, _ rj: UnsafeMutablePointer<Float>, r: Int, _ dk: MixPairs.Draw,
        _ dj: MixPairs.Draw
    ) {
        for q in 0..<width {
            let (a, b) = (rk[q], rj[q])
            rk[q] = Self.value(dk, r: r, q: q, own: a, partner: b)
            rj[q] = Self.value(dj, r: r, q: q, own: b, partner: a)
        }
    }

    /// Whether a draw changes any element of row r (mixup every row, cutmix its box's rows).
    @inline(__always)
    private static func changes(_ d: MixPairs.Draw, row r: Int) -> Bool {
        d.cut ? r >= d.y0 && r < d.y1 : d.lambda != 1
    }

    /// A sample's element at (r, q) under its draw, from its own and its partner's originals.
    @inline(__always)
    private static func value(_ d: MixPairs.Draw, r: Int, q: Int, own: Float, partner: Float) -> Float {
        if d.cut { return r >= d.y0 && r < d.y1 && q >= d.x0 && q < d.x1 ? partner : own }
        return d.lambda == 1 ? own : d.lambda * own + (1 - d.lambda) * partner
    }
}
