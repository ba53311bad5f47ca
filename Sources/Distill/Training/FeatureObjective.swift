import NN

/// A logit objective (KD, DKD or DIST) plus feature terms:
/// `L = L_logits + sum_i weight_i * L_i(f_s, f_t)`, L_i a FitNets hint or attention transfer
/// (see `FeaturePair`). The teacher's features are those of the forward pass that gave its
/// logits (the inner objective's live `TeacherTargets`, on the student's augmented view); the
/// student's come from taps on its forward pass, and each term's gradient is added into the
/// tapped layer's output gradient by the student's backward pass (terms on one layer summed).
///
/// The regressors are the objective's `parameters`: trained with the model, saved in resume
/// files as "objective.regressor.<pair>.<key>", never in the student's checkpoint or exports.
public final class FeatureObjective: Objective {
    let inner: Objective
    private let terms: [FeatureTerm]
    /// Whether term i is the first on its student layer (it sets the tap's gradient; later ones add).
    private let firstOnLayer: [Bool]
    private var values: [Float]
    public let parameters: [Parameter]
    /// Regressor parameters by resume name ("regressor.0.0.weight": pair 0, layer 0).
    public let namedRegressorParameters: [(key: String, parameter: Parameter)]

    /// `inner` must take its teacher outputs live from `teacher` (cached targets would leave the
    /// teacher's taps without the batch's features). Regressors are drawn from `seed`.
    public init(inner: Objective, teacher: Sequential, pairs: [FeaturePair], seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        self.inner = inner
        terms = try pairs.map { try FeatureTerm(pair: $0, teacher: teacher, rng: &rng) }
        firstOnLayer = pairs.indices.map { i in !pairs[..<i].contains { $0.student == pairs[i].student } }
        values = [Float](repeating: 0, count: pairs.count)
        namedRegressorParameters = terms.enumerated().flatMap { i, term in
            (term.regressor?.namedParameters ?? []).map { ("regressor.\(i).\($0.key)", $0.parameter) }
        }
        parameters = namedRegressorParameters.map(\.parameter)
    }

    /// summary.json's "features": the pairs and the regressors' parameter count (which the
    /// student's count in the comparison leaves out).
    static func summary(_ pairs: [FeaturePair], regressorParameters: Int) -> [String: Any] {
        let list: [[String: Any]] = pairs.map {
            [
                "student": $0.student, "teacher": $0.teacher, "loss": $0.loss.rawValue, "weight": $0.weight,
                "regressor": $0.regressor.rawValue, "student_shape": $0.studentShape, "teacher_shape": $0.teacherShape,
            ]
        }
        return ["pairs": list, "regressor_parameters": regressorParameters]
    }

    /// Trainable scalars of the regressors.
    public var regressorParameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }

    public func attach(to model: Sequential) {
        for term in terms { term.attach(to: model) }
    }

    public func loss(
        logits: Tensor, input: Tensor, labels: [Int32], mix: LabelMix?, indices: [Int], gradient: Tensor
    ) -> LossParts {
        var parts = inner.loss(
            logits: logits, input: input, labels: labels, mix: mix, indices: indices, gradient: gradient)
        for i in terms.indices {
            let term = terms[i]
            values[i] = term.evaluate()
            parts.total += term.pair.weight * values[i]
            guard let tap = term.studentTap else { continue }
            if firstOnLayer[i] { tap.gradient.copy(from: term.gradient) } else { tap.gradient.add(term.gradient) }
            tap.markGradient()
        }
        return parts
    }

    public var featureTermLosses: [Float] { values }
    public var featureTermNames: [String] { terms.map(\.pair.name) }

    public func beginEpoch(_ epoch: Int, of epochs: Int) { inner.beginEpoch(epoch, of: epochs) }
    public func nonFiniteCause() -> String? { inner.nonFiniteCause() }
    public var needsTwoSamplesPerBatch: Bool { inner.needsTwoSamplesPerBatch }
    public var acceptsLabelMix: Bool { inner.acceptsLabelMix }
    public var augmentationViews: Int? { inner.augmentationViews }

    /// The inner objective's state and every regressor parameter.
    public var resumableState: [String: Tensor] {
        inner.resumableState.merging(namedRegressorParameters.map { ($0.key, $0.parameter.value) }) { a, _ in a }
    }

    /// Checks every regressor tensor's presence and shape before copying any; the rest goes to
    /// the inner objective.
    public func restoreState(_ tensors: [String: Tensor]) throws {
        for (key, parameter) in namedRegressorParameters {
            guard let saved = tensors[key] else { throw ObjectiveStateError(tensor: key, "is missing") }
            guard saved.shape == parameter.value.shape else {
                throw ObjectiveStateError(tensor: key, "is \(saved.shape), the regressor has \(parameter.value.shape)")
            }
        }
        let regressorKeys = Set(namedRegressorParameters.map(\.key))
        try inner.restoreState(tensors.filter { !regressorKeys.contains($0.key) })
        for (key, parameter) in namedRegressorParameters { parameter.value.copy(from: tensors[key]!) }
    }
}
