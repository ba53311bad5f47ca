import Foundation

/// A fault in a data file or data option, as one line naming the file (or source) and the fault:
/// `train-images-idx3-ubyte.gz: truncated: header says 60000x28x28 = 47040000 bytes, file has 1000`.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file, folder or source string at fault.
    public let file: String
    /// What is wrong with it.
    public let fault: String

    /// The fault `fault` in `file`.
    public init(_ file: String, _ fault: String) {
        self.file = file
        self.fault = fault
    }

    /// "file: fault".
    public var description: String { "\(file): \(fault)" }
}

extension DataError: LocalizedError {
    /// The same line as `description`.
    public var errorDescription: String? { description }
}
