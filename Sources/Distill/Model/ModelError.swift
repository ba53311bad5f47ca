import NN

/// A model that cannot be built from its spec, or that does not fit the data it is given.
/// Each case renders as one line naming the model (spec name or file) at fault.
public enum ModelError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The layer at `path` of model `model` ("layers[2]", "layers[3].residual.body[0]") cannot
    /// take its input (`reason`: the engine's shape rule).
    case layer(model: String, path: String, reason: String)
    /// The spec names an init scheme the engine does not have.
    case unknownInit(model: String, scheme: String)
    /// `file` takes per-sample input `expects`; the samples of `data` are `has`.
    case inputMismatch(file: String, expects: [Int], data: String, has: [Int])
    /// `file` outputs `outputs` per sample, which cannot score the `classes` classes of `data`.
    case classMismatch(file: String, outputs: [Int], data: String, classes: Int)
    /// A teacher whose outputs differ from the student's: the KD loss compares them class by class.
    case teacherStudentMismatch(teacher: String, teacherOutputs: [Int], student: String, studentOutputs: [Int])

    public var description: String {
        switch self {
        case .layer(let model, let path, let reason):
            return "model '\(model)': \(path): \(reason)"
        case .unknownInit(let model, let scheme):
            return "model '\(model)': unknown init '\(scheme)'"
        case .inputMismatch(let file, let expects, let data, let has):
            return "\(file): model takes input \(expects) but the data set's samples are \(has) (\(data))"
        case .classMismatch(let file, let outputs, let data, let classes):
            return "\(file): model outputs \(outputs) but the data set has \(classes) classes (\(data))"
        case .teacherStudentMismatch(let teacher, let teacherOutputs, let student, let studentOutputs):
            return
                "\(teacher): the teacher outputs \(teacherOutputs) but the student '\(student)' outputs \(studentOutputs); distillation needs the same classes"
        }
    }
}

/// The one rule for "this model can be run on this data set", used by training, distillation,
/// evaluation and comparison alike: the per-sample input shapes are equal, and the model
/// outputs one flat score vector [K] with at least one score per class (K >= classes; a test
/// set may lack the last classes of the model's training set).
public enum ModelFit {
    /// Throws a `ModelError` naming `file` (a checkpoint path or spec name) and `dataset` when
    /// `model` does not fit.
    public static func check(_ model: Sequential, file: String, dataset: Dataset) throws {
        guard model.inputShape == dataset.sampleShape else {
            throw ModelError.inputMismatch(
                file: file, expects: model.inputShape, data: dataset.name, has: dataset.sampleShape)
        }
        guard model.outputShape.count == 1, model.outputShape[0] >= dataset.classCount else {
            throw ModelError.classMismatch(
                file: file, outputs: model.outputShape, data: dataset.name, classes: dataset.classCount)
        }
    }
}
