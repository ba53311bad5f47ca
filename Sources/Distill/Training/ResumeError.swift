/// A resume file (`<phase>.resume.safetensors`) that cannot continue this run: damaged, edited,
/// or from another config or data set. Renders as one line naming the file and the field:
/// `runs/x/student.resume.safetensors: 'epoch' is 7, past the run's 3 epochs`.
public struct ResumeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The resume file.
    public let file: String
    /// The field or tensor at fault (a key of the `kd.resume` metadata, or a tensor name); nil
    /// for the file as a whole.
    public let field: String?
    /// What is wrong with it.
    public let fault: String

    public init(file: String, field: String? = nil, _ fault: String) {
        self.file = file
        self.field = field
        self.fault = fault
    }

    public var description: String { "\(file): " + (field.map { "'\($0)' " } ?? "") + fault }
}

/// An objective's saved state (`Objective.restoreState`) that does not fit it; the trainer
/// turns it into a `ResumeError` naming the file.
public struct ObjectiveStateError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The state tensor at fault (without the "objective." prefix).
    public let tensor: String
    public let fault: String

    public init(tensor: String, _ fault: String) {
        self.tensor = tensor
        self.fault = fault
    }

    public var description: String { "objective state '\(tensor)' \(fault)" }
}
