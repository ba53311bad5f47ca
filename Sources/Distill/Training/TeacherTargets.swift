import NN

/// A teacher as a distillation run uses it: the model, and how to turn the run's inputs into
/// the inputs the teacher was trained on (nil when both were normalised alike).
public struct TeacherModel {
    public let model: Sequential
    public let input: InputRenormalization?

    public init(model: Sequential, input: InputRenormalization? = nil) {
        self.model = model
        self.input = input
    }
}

/// The teachers' softened predictions p = softmax(teacher logits / T), averaged over one or
/// more teachers, for the samples of a batch ([B, K]).
///
/// Cached: computed once over the whole training set ([N, K]) and gathered by sample index;
/// used whenever inputs are not randomised. Live: every batch goes through the teachers (eval
/// mode). Either way each teacher sees the batch renormalised as it was trained.
public final class TeacherTargets {
    private enum Source {
        case cached(Tensor)
        case live([TeacherModel])
    }

    private let source: Source
    /// The softening temperature T of the targets (the KD loss uses the same T).
    public let temperature: Float
    private let scratch = Tensor(shape: [0])
    private let teacherInput = Tensor(shape: [0])

    /// Precomputes the averaged soft targets of `teachers` over `dataset` at `temperature`.
    public static func cached(teachers: [TeacherModel], dataset: Dataset, temperature: Float) -> TeacherTargets {
        let average = Tensor(shape: [0])
        let probabilities = Tensor(shape: [0])
        for (i, teacher) in teachers.enumerated() {
            let logits = Inference.logits(of: teacher.model, on: dataset, renormalizing: teacher.input)
            softTargets(teacherLogits: logits, temperature: temperature, into: i == 0 ? average : probabilities)
            if i > 0 { average.add(probabilities) }
        }
        if teachers.count > 1 { average.scale(by: 1 / Float(teachers.count)) }
        return TeacherTargets(source: .cached(average), temperature: temperature)
    }

    /// Runs `teachers` (eval mode) on each batch.
    public static func live(teachers: [TeacherModel], temperature: Float) -> TeacherTargets {
        TeacherTargets(source: .live(teachers), temperature: temperature)
    }

    private init(source: Source, temperature: Float) {
        self.source = source
        self.temperature = temperature
    }

    /// Writes the targets of the batch ([B, K]) into `out`. `indices` are training-set
    /// indices (cached mode); `input` is the batch [B, ...sample] (live mode).
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
                var x = input
                if let renormalization = teacher.input {
                    renormalization.apply(input, into: teacherInput)
                    x = teacherInput
                }
                let logits = teacher.model.forward(x, training: false)
                softTargets(teacherLogits: logits, temperature: temperature, into: i == 0 ? out : scratch)
                if i > 0 { out.add(scratch) }
            }
            if teachers.count > 1 { out.scale(by: 1 / Float(teachers.count)) }
        }
    }
}
