import NN

/// The teacher's softened predictions p = softmax(teacher logits / T), averaged over one or
/// more teachers, for the samples of a batch.
///
/// Cached: computed once over the whole training set ([N, K]) and gathered by sample index;
/// used whenever inputs are not randomised. Live: every batch goes through the teachers.
public final class SoftTargets {
    private enum Source {
        case cached(Tensor)
        case live([Sequential])
    }

    private let source: Source
    private let temperature: Float
    private let scratch = Tensor(shape: [0])

    /// Precomputes the averaged soft targets of `teachers` over `dataset` at `temperature`.
    public static func cached(teachers: [Sequential], dataset: Dataset, temperature: Float) -> SoftTargets {
        let average = Tensor(shape: [0])
        let probabilities = Tensor(shape: [0])
        for (i, teacher) in teachers.enumerated() {
            let logits = Inference.logits(of: teacher, on: dataset)
            softTargets(teacherLogits: logits, temperature: temperature, into: i == 0 ? average : probabilities)
            if i > 0 { average.add(probabilities) }
        }
        if teachers.count > 1 { average.scale(by: 1 / Float(teachers.count)) }
        return SoftTargets(source: .cached(average), temperature: temperature)
    }

    /// Runs `teachers` (eval mode) on each batch.
    public static func live(teachers: [Sequential], temperature: Float) -> SoftTargets {
        SoftTargets(source: .live(teachers), temperature: temperature)
    }

    private init(source: Source, temperature: Float) {
        self.source = source
        self.temperature = temperature
    }

    /// Writes the targets of the batch ([B, K]) into `out`. `indices` are training-set
    /// indices (cached mode); `input` is the batch (live mode).
    func fill(_ out: Tensor, indices: [Int], input: Tensor) {
        switch source {
        case .cached(let table):
            let k = table.featuresPerItem
            out.resize(indices.count, k)
            out.data.withUnsafeMutableBufferPointer { dst in
                table.data.withUnsafeBufferPointer { src in
                    for (row, index) in indices.enumerated() {
                        (dst.baseAddress! + row * k).update(from: src.baseAddress! + index * k, count: k)
                    }
                }
            }
        case .live(let teachers):
            for (i, teacher) in teachers.enumerated() {
                let logits = teacher.forward(input, training: false)
                softTargets(teacherLogits: logits, temperature: temperature, into: i == 0 ? out : scratch)
                if i > 0 { out.add(scratch) }
            }
            if teachers.count > 1 { out.scale(by: 1 / Float(teachers.count)) }
        }
    }
}
