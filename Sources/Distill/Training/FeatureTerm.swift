import NN

/// One feature pair in training: the student's and the teacher's taps, the loss between their
/// features and, for a hint, the trainable regressor. `evaluate()` writes weight * dL/df_s into
/// `gradient` ([N, ...studentShape]); the objective hands it to the student's tap.
final class FeatureTerm {
    let pair: FeaturePair
    let teacherTap: FeatureTap
    /// Set by `attach` (the student model is built by the phase).
    private(set) var studentTap: FeatureTap?
    /// The hint's regressor (nil: none, or an attention pair).
    let regressor: Sequential?
    private let attention: AttentionTransfer?
    /// weight * dL/df_s of the last batch.
    let gradient = Tensor(shape: [0])
    /// weight * dL/dregressor(f_s) (hints through a regressor).
    private let regressedGradient = Tensor(shape: [0])

    /// Taps teacher layer `pair.teacher`; a regressor is initialised from `rng` as the spec
    /// builder initialises a layer (PyTorch's default).
    init(pair: FeaturePair, teacher: Sequential, rng: inout SplitMix64) throws {
        self.pair = pair
        teacherTap = teacher.tap(layer: pair.teacher)
        attention =
            pair.loss == .attention
            ? try AttentionTransfer(student: pair.studentShape, teacher: pair.teacherShape) : nil
        let layer: LayerSpec? =
            switch pair.regressor {
            case .none: nil
            case .linear: .linear(out: pair.teacherShape[0], bias: true)
            case .conv1x1: .conv2d(out: pair.teacherShape[0], kernel: 1, stride: 1, padding: 0, bias: true)
            case .conv3x3: .conv2d(out: pair.teacherShape[0], kernel: 3, stride: 1, padding: 1, bias: true)
            }
        regressor = try layer.map {
            try ModelBuilder.build(ModelSpec(name: "regressor", input: pair.studentShape, layers: [$0]), rng: &rng)
        }
    }

    /// Taps student layer `pair.student` of `model`.
    func attach(to model: Sequential) { studentTap = model.tap(layer: pair.student) }

    /// The unweighted loss of the last forward passes (student, live teacher); fills `gradient`
    /// and the regressor's parameter gradients (cleared first).
    func evaluate() -> Float {
        guard let student = studentTap?.feature, let teacher = teacherTap.feature else {
            preconditionFailure("FeatureTerm \(pair.name): no forward pass of the student and the live teacher yet")
        }
        if let attention {
            return attention.loss(student: student, teacher: teacher, weight: pair.weight, gradient: gradient)
        }
        guard let regressor else {
            return hintLoss(regressed: student, teacher: teacher, weight: pair.weight, gradient: gradient)
        }
        regressor.zeroGrad()
        let value = hintLoss(
            regressed: regressor.forward(student, training: true), teacher: teacher, weight: pair.weight,
            gradient: regressedGradient)
        gradient.copy(from: regressor.backward(regressedGradient))
        return value
    }
}
