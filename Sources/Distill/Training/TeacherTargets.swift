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

/// What the teachers hand an objective for each sample: their logits (DKD and DIST soften them
/// their own way) or their softmax at a temperature (the KD loss), each optionally from logits
/// standardised per sample first (Sun et al. 2024, `standardizeLogits`).
public struct TeacherOutput: Equatable, Sendable {
    /// T of softmax(z / T); nil: the logits z themselves.
    public let temperature: Float?
    public let standardized: Bool

    /// softmax(z / T) (of the standardised z when `standardized`).
    public static func softened(temperature: Float, standardized: Bool = false) -> TeacherOutput {
        TeacherOutput(temperature: temperature, standardized: standardized)
    }

    /// The logits (standardised when `standardized`).
    public static func logits(standardized: Bool = false) -> TeacherOutput {
        TeacherOutput(temperature: nil, standardized: standardized)
    }
}

/// The teachers' outputs (see `TeacherOutput`), averaged over one or more teachers, for the
/// samples of a batch ([B, K]).
///
/// Cached: computed once over the whole training set ([N, K]) and gathered by sample index;
/// used whenever inputs are not randomised. Cached views (FKD-style): computed once for V
/// augmented views of the training set ([V * N, K], view v = the augmentation of epoch v),
/// epoch e reading view e mod V; the trainer then augments epoch e as epoch e mod V, so each
/// row is the teacher's output for exactly the student's view. Live: every batch goes through
/// the teachers (eval mode). Either way each teacher sees the batch renormalised as it was
/// trained.
public final class TeacherTargets {
    private enum Source {
        case cached(Tensor)
        case views(Tensor, count: Int, samples: Int)
        case live([TeacherModel])
    }

    private let source: Source
    /// The view the epoch in progress reads (cached views only).
    private var view = 0
    private let averager: OutputAverager
    private let teacherInput = Tensor(shape: [0])

    /// What the rows hold.
    public var output: TeacherOutput { averager.output }

    /// The softening temperature of softened targets (the KD loss uses the same T); nil for logits.
    public var temperature: Float? { output.temperature }

    /// Precomputes the averaged `output` of `teachers` over `dataset`.
    public static func cached(teachers: [TeacherModel], dataset: Dataset, output: TeacherOutput) -> TeacherTargets {
        let averager = OutputAverager(output: output)
        let table = Tensor(shape: [0])
        averager.average(teachers.count, into: table) { i in
            Inference.logits(of: teachers[i].model, on: dataset, renormalizing: teachers[i].input)
        }
        return TeacherTargets(source: .cached(table), averager: averager)
    }

    /// The `output` of a table of teacher logits ([N, K], row i for training sample i) computed
    /// elsewhere (`teacher.logits`), gathered by sample index as a cache of a teacher's would be.
    public static func cached(logits: Tensor, output: TeacherOutput) -> TeacherTargets {
        let averager = OutputAverager(output: output)
        let table = Tensor(shape: [0])
        averager.average(1, into: table) { _ in logits }
        return TeacherTargets(source: .cached(table), averager: averager)
    }

    /// Precomputes the averaged soft targets of `teachers` over `dataset` at `temperature`.
    public static func cached(teachers: [TeacherModel], dataset: Dataset, temperature: Float) -> TeacherTargets {
        cached(teachers: teachers, dataset: dataset, output: .softened(temperature: temperature))
    }

    /// Precomputes the averaged `output` of `teachers` for `views` augmented views of
    /// `dataset`: view v is `augment` under `key` with its epoch set to v (what the trainer's
    /// epoch v applies). Holds views x N x K floats.
    public static func cachedViews(
        teachers: [TeacherModel], dataset: Dataset, output: TeacherOutput, views: Int,
        augment: CropFlip, key: AugmentKey
    ) -> TeacherTargets {
        precondition(views >= 1, "TeacherTargets: \(views) views")
        let averager = OutputAverager(output: output)
        let table = Tensor(shape: [0])
        let one = Tensor(shape: [0])
        for v in 0..<views {
            var viewKey = key
            viewKey.epoch = v
            averager.average(teachers.count, into: one) { i in
                Inference.logits(
                    of: teachers[i].model, on: dataset, renormalizing: teachers[i].input,
                    augment: (augment, viewKey))
            }
            if v == 0 { table.resize(to: [views * dataset.count, one.featuresPerItem]) }
            table.data.withUnsafeMutableBufferPointer { dst in
                one.data.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + v * src.count).update(from: src.baseAddress!, count: src.count)
                }
            }
        }
        return TeacherTargets(source: .views(table, count: views, samples: dataset.count), averager: averager)
    }

    /// Runs `teachers` (eval mode) on each batch.
    public static func live(teachers: [TeacherModel], output: TeacherOutput) -> TeacherTargets {
        TeacherTargets(source: .live(teachers), averager: OutputAverager(output: output))
    }

    /// Runs `teachers` (eval mode) on each batch, softened at `temperature`.
    public static func live(teachers: [TeacherModel], temperature: Float) -> TeacherTargets {
        live(teachers: teachers, output: .softened(temperature: temperature))
    }

    private init(source: Source, averager: OutputAverager) {
        self.source = source
        self.averager = averager
    }

    /// The number of cached views, nil unless the targets are cached views: the trainer then
    /// augments epoch e as epoch e mod `viewCount`.
    public var viewCount: Int? {
        if case .views(_, let count, _) = source { return count }
        return nil
    }

    /// Selects the view epoch `epoch` (0-based) reads (cached views; nothing otherwise).
    func beginEpoch(_ epoch: Int) {
        if let count = viewCount { view = epoch % count }
    }

    /// Writes the targets of the batch ([B, K]) into `out`. `indices` are training-set
    /// indices (cached modes); `input` is the batch [B, ...sample] (live mode).
    func fill(_ out: Tensor, indices: [Int], input: Tensor) {
        switch source {
        case .cached(let table):
            Self.gather(indices, from: table, firstRow: 0, into: out)
        case .views(let table, _, let samples):
            Self.gather(indices, from: table, firstRow: view * samples, into: out)
        case .live(let teachers):
            averager.average(teachers.count, into: out) { i in
                var x = input
                if let renormalization = teachers[i].input {
                    renormalization.apply(input, into: teacherInput)
                    x = teacherInput
                }
                return teachers[i].model.forward(x, training: false)
            }
        }
    }

    /// `out` [B, K] = rows firstRow + indices[b] of `table` [R, K].
    private static func gather(_ indices: [Int], from table: Tensor, firstRow: Int, into out: Tensor) {
        let k = table.featuresPerItem
        out.resize(indices.count, k)
        out.data.withUnsafeMutableBufferPointer { dst in
            table.data.withUnsafeBufferPointer { src in
                let base = src.baseAddress! + firstRow * k
                for (row, index) in indices.enumerated() {
                    (dst.baseAddress! + row * k).update(from: base + index * k, count: k)
                }
            }
        }
    }
}

/// The mean over teachers of one `TeacherOutput` of their logits, with the buffers it needs
/// kept from call to call (no allocation once they have the batch's shape).
private final class OutputAverager {
    let output: TeacherOutput
    private let scratch = Tensor(shape: [0])
    private let standardized = Tensor(shape: [0])

    init(output: TeacherOutput) { self.output = output }

    /// `out` = the mean over i in 0..<count of this output of `logits(i)` ([B, K] each).
    func average(_ count: Int, into out: Tensor, logits: (Int) -> Tensor) {
        for i in 0..<count {
            transform(logits(i), into: i == 0 ? out : scratch)
            if i > 0 { out.add(scratch) }
        }
        if count > 1 { out.scale(by: 1 / Float(count)) }
    }

    /// `out` = this output of one teacher's `logits` [B, K].
    private func transform(_ logits: Tensor, into out: Tensor) {
        var z = logits
        if output.standardized {
            standardizeLogits(logits, into: standardized)
            z = standardized
        }
        if let temperature = output.temperature {
            softTargets(teacherLogits: z, temperature: temperature, into: out)
        } else {
            out.copy(from: z)
        }
    }
}
