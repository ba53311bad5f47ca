import NN

/// Runs a model in eval mode over a whole data set, in order, in fixed-size batches.
/// Under mpirun each rank runs its contiguous block of the samples (`Shard`) and the blocks are
/// gathered, so every rank ends with all the logits and no rank runs the whole set.
public enum Inference {
    /// Logits [N, K] of `model` for every sample of `dataset`, each batch augmented as a
    /// training batch is when `augment` is given (sample i keyed by its index i, as in
    /// training), then passed through `renormalizing` when given (a model trained on other
    /// normalised inputs). Every rank of `collective` must make the same call.
    public static func logits(
        of model: Sequential, on dataset: Dataset, renormalizing: InputRenormalization? = nil,
        augment: (kernel: CropFlip, key: AugmentKey)? = nil, batchSize: Int = 500,
        across collective: Collective = World.collective
    ) -> Tensor {
        let k = model.outputShape.reduce(1, *)
        let out = Tensor(shape: [dataset.count, k])
        let input = Tensor(shape: [0] + dataset.sampleShape)
        let per = dataset.sampleShape.reduce(1, *)
        var indices: [Int] = []
        let block = Shard.range(of: dataset.count, rank: collective.rank, size: collective.size)
        var start = block.lowerBound
        while start < block.upperBound {
            let n = min(batchSize, block.upperBound - start)
            input.resize(to: [n] + dataset.sampleShape)
            input.data.withUnsafeMutableBufferPointer { dst in
                dataset.samples.withUnsafeBufferPointer { src in
                    dst.baseAddress!.update(from: src.baseAddress! + start * per, count: n * per)
                }
            }
            if let (kernel, key) = augment {
                indices.removeAll(keepingCapacity: true)
                indices.append(contentsOf: start..<start + n)
                kernel.apply(to: input, indices: indices, key: key)
            }
            renormalizing?.applyInPlace(input)
            let y = model.forward(input, training: false)
            out.data.withUnsafeMutableBufferPointer { dst in
                y.data.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + start * k).update(from: src.baseAddress!, count: n * k)
                }
            }
            start += n
        }
        if collective.size > 1 { collective.allgatherRows(out, rows: dataset.count) }
        return out
    }
}
