import Foundation

/// A labelled data set in memory: `count` samples of `sampleShape` ([C, H, W] or [D]) stored flat,
/// row-major, Float32, with one integer label each in 0..<classCount.
public struct Dataset: Sendable {
    /// For messages and logs ("fashion-mnist/train").
    public var name: String
    /// All samples, flat: sample i is `samples[i*sampleSize ..< (i+1)*sampleSize]`.
    public internal(set) var samples: [Float]
    /// Shape of one sample, [C, H, W] or [D].
    public let sampleShape: [Int]
    /// One label per sample, in 0..<classCount.
    public let labels: [Int32]
    /// Number of classes (max label + 1 unless given).
    public let classCount: Int

    /// Number of samples.
    public var count: Int { labels.count }
    /// Elements per sample (product of `sampleShape`).
    public var sampleSize: Int { sampleShape.reduce(1, *) }
    /// Channels: the first dimension of a [C, H, W] sample, 1 for a [D] sample.
    public var channels: Int { sampleShape.count >= 3 ? sampleShape[0] : 1 }

    /// Validates and wraps the arrays. `classCount` defaults to max label + 1; every label must
    /// lie in 0..<classCount. `labelSource` names the file the labels came from in messages.
    public init(
        name: String, samples: [Float], sampleShape: [Int], labels: [Int32],
        classCount: Int? = nil, labelSource: String? = nil
    ) throws {
        let source = labelSource ?? name
        guard !sampleShape.isEmpty, sampleShape.allSatisfy({ $0 > 0 }) else {
            throw DataError(name, "invalid sample shape \(sampleShape)")
        }
        let size = sampleShape.reduce(1, *)
        guard samples.count == labels.count * size else {
            throw DataError(
                name,
                "\(samples.count) values for \(labels.count) samples of shape \(sampleShape) (expected \(labels.count * size))"
            )
        }
        var maxLabel: Int32 = -1
        for (i, y) in labels.enumerated() {
            if y < 0 { throw DataError(source, "label \(y) at index \(i) is negative") }
            if y > maxLabel { maxLabel = y }
        }
        if let k = classCount {
            guard k >= 1 else { throw DataError(name, "class count must be at least 1, got \(k)") }
            if maxLabel >= k, let i = labels.firstIndex(where: { $0 >= k }) {
                throw DataError(source, "label \(labels[i]) at index \(i) is outside 0..<\(k)")
            }
        }
        self.name = name
        self.samples = samples
        self.sampleShape = sampleShape
        self.labels = labels
        self.classCount = classCount ?? max(Int(maxLabel) + 1, 1)
    }

    /// The samples at `indices`, in that order (indices must be valid: they come from our code,
    /// not from a file).
    public func subset(_ indices: [Int], name: String? = nil) -> Dataset {
        let size = sampleSize
        var x = [Float](repeating: 0, count: indices.count * size)
        var y = [Int32](repeating: 0, count: indices.count)
        samples.withUnsafeBufferPointer { src in
            x.withUnsafeMutableBufferPointer { dst in
                for (k, i) in indices.enumerated() {
                    precondition(i >= 0 && i < labels.count, "Dataset.subset: index \(i) out of 0..<\(labels.count)")
                    (dst.baseAddress! + k * size).update(from: src.baseAddress! + i * size, count: size)
                    y[k] = labels[i]
                }
            }
        }
        return Dataset(
            unchecked: name ?? self.name, samples: x, sampleShape: sampleShape, labels: y, classCount: classCount)
    }

    /// The same data with another class count (must cover every label).
    public func withClassCount(_ k: Int) throws -> Dataset {
        if k == classCount { return self }
        return try Dataset(name: name, samples: samples, sampleShape: sampleShape, labels: labels, classCount: k)
    }

    /// Sample `i`'s elements.
    public func sample(_ i: Int) -> ArraySlice<Float> {
        samples[i * sampleSize..<(i + 1) * sampleSize]
    }

    /// Per-channel standardisation in place: x = (x - mean[c]) / std[c]. One mean and std per
    /// channel (a [D] sample has one channel).
    public mutating func normalize(mean: [Float], std: [Float]) throws {
        let c = channels
        guard mean.count == c, std.count == c else {
            throw DataError(
                name,
                "normalize needs one mean and one std per channel: samples \(sampleShape) have \(c) channel\(c == 1 ? "" : "s"), got \(mean.count) mean and \(std.count) std values"
            )
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw DataError(name, "normalize: every std must be > 0, got \(std)")
        }
        let plane = sampleSize / c
        let n = count
        samples.withUnsafeMutableBufferPointer { p in
            for s in 0..<n {
                for ch in 0..<c {
                    let m = mean[ch]
                    let sd = std[ch]
                    let base = (s * c + ch) * plane
                    for j in base..<(base + plane) { p[j] = (p[j] - m) / sd }
                }
            }
        }
    }

    init(unchecked name: String, samples: [Float], sampleShape: [Int], labels: [Int32], classCount: Int) {
        self.name = name
        self.samples = samples
        self.sampleShape = sampleShape
        self.labels = labels
        self.classCount = classCount
    }
}
