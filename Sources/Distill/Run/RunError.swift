/// A failure the runner reports to the user as one line (the CLI prints `description`).
public struct RunError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
