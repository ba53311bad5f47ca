import Foundation
import NN

/// Iterates a `Dataset` in batches of `batchSize`, in a fresh seeded permutation each epoch
/// (or in order when `shuffle` is false), filling the same `inputs` tensor ([B, ...sampleShape])
/// and `labels` buffer every time: after the first epoch nothing is allocated per batch (the last
/// short batch shrinks them in place; the storage keeps its capacity).
///
/// ```swift
/// let batches = try BatchIterator(dataset: splits.train, batchSize: 128, seed: config.seed)
/// for epoch in 0..<epochs {
///     batches.startEpoch()
///     while batches.next() {
///         model.forward(batches.inputs, training: true)   // [B, C, H, W]
///         ... batches.labels (B labels), batches.indices (B sample indices, for cached teacher logits)
///     }
/// }
/// ```
/// Read `labels` and `indices` in place; a copy kept across `next()` forces a reallocation.
///
/// Data-parallel (`shard`: rank r of N): the epoch's permutation and its global batches of
/// `batchSize` are those of one process; rank r takes positions r, r + N, r + 2N ... of each
/// global batch (strided, as `DistributedSampler`). Nothing is dropped or padded: a last short
/// global batch of b samples gives the first b mod N ranks one sample more (a rank may get
/// none), so the N ranks together see exactly the samples one process sees, batch by batch.
public final class BatchIterator {
    public let dataset: Dataset
    public let batchSize: Int
    public let shuffle: Bool
    /// Drop the last partial batch of an epoch (default false: keep it).
    public let dropLast: Bool
    /// The generator drawing the per-epoch permutations (its state can be saved and restored).
    public var rng: SplitMix64

    /// The current batch, [B, ...sampleShape] (B = batchSize except for a last short batch).
    public let inputs: Tensor
    /// Labels of the current batch (B values).
    public private(set) var labels: [Int32]
    /// Dataset indices of the current batch's samples (B values).
    public private(set) var indices: [Int]
    /// Epochs started so far (1 during the first epoch).
    public private(set) var epoch = 0
    /// Batches handed out in the current epoch.
    public private(set) var batchIndex = 0
    /// Samples in the current global batch (all ranks together; `labels.count` on one process).
    public private(set) var globalBatch = 0
    /// This process's rank and the number of ranks sharing each batch.
    public let shard: (rank: Int, size: Int)

    private var order: [Int]
    private var position = 0

    /// `seed` seeds the shuffling generator (pass the run seed; the data splits use a derived stream).
    public init(
        dataset: Dataset, batchSize: Int, seed: UInt64, shuffle: Bool = true, dropLast: Bool = false,
        shard: (rank: Int, size: Int) = (0, 1)
    ) throws {
        guard batchSize >= 1 else { throw DataError(dataset.name, "batch size must be >= 1, got \(batchSize)") }
        self.shard = shard
        self.dataset = dataset
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.rng = SplitMix64(seed: seed ^ 0xBA7C_4000_0000_0001)
        let b = min(batchSize, max(dataset.count, 1))
        self.inputs = Tensor(shape: [b] + dataset.sampleShape)
        self.labels = [Int32](repeating: 0, count: b)
        self.indices = [Int](repeating: 0, count: b)
        self.order = Array(0..<dataset.count)
        labels.reserveCapacity(batchSize)
        indices.reserveCapacity(batchSize)
    }

    /// Batches per epoch.
    public var batchesPerEpoch: Int {
        dropLast ? dataset.count / batchSize : (dataset.count + batchSize - 1) / batchSize
    }

    /// Begins an epoch: draws a new permutation (when shuffling) and rewinds.
    public func startEpoch() {
        if shuffle { order = rng.permutation(dataset.count) }
        position = 0
        batchIndex = 0
        epoch += 1
    }

    /// The permutation of the epoch in progress (to save a resumable state mid-epoch).
    public var currentOrder: [Int] { order }

    /// Continues an epoch from a saved state: `order` is that epoch's permutation and
    /// `batchesDone` batches of it were already handed out. The generator (`rng`) must be
    /// restored separately to its state after that epoch's permutation was drawn.
    public func resumeEpoch(order: [Int], batchesDone: Int) throws {
        guard order.count == dataset.count, batchesDone >= 0, batchesDone * batchSize < max(dataset.count, 1) else {
            throw DataError(
                dataset.name, "cannot resume at batch \(batchesDone) with \(order.count) samples in the saved order")
        }
        self.order = order
        position = batchesDone * batchSize
        batchIndex = batchesDone
        epoch += 1
    }

    /// Fills `inputs`, `labels` and `indices` with the next batch; false when the epoch is done.
    /// Starts the first epoch by itself if `startEpoch()` was never called.
    public func next() -> Bool {
        if epoch == 0 { startEpoch() }
        let n = dataset.count
        let remaining = n - position
        guard remaining > 0, !(dropLast && remaining < batchSize) else { return false }
        globalBatch = min(batchSize, remaining)
        let b = (globalBatch - shard.rank + shard.size - 1) / shard.size
        let size = dataset.sampleSize
        if inputs.batch != b || inputs.count != b * size {
            inputs.resize(to: [b] + dataset.sampleShape)
        }
        if labels.count != b {
            if labels.count > b {
                labels.removeLast(labels.count - b)
                indices.removeLast(indices.count - b)
            } else {
                labels.append(contentsOf: repeatElement(0, count: b - labels.count))
                indices.append(contentsOf: repeatElement(0, count: b - indices.count))
            }
        }
        let ds = dataset
        ds.samples.withUnsafeBufferPointer { src in
            inputs.data.withUnsafeMutableBufferPointer { dst in
                for k in 0..<b {
                    let i = order[position + shard.rank + k * shard.size]
                    (dst.baseAddress! + k * size).update(from: src.baseAddress! + i * size, count: size)
                    labels[k] = ds.labels[i]
                    indices[k] = i
                }
            }
        }
        position += globalBatch
        batchIndex += 1
        return true
    }
}
