import Foundation

/// A fault in a config or model spec file: `Configs/x.yaml:12: unknown key 'teacher.trainng'`.
public struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The YAML file at fault.
    public let file: String
    /// 1-based line (0 when unknown).
    public let line: Int
    /// The dotted key at fault ("" for the whole file).
    public let key: String
    /// The fault, naming the key.
    public let message: String

    public init(file: String, line: Int, key: String, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

extension ConfigError: LocalizedError {
    public var errorDescription: String? { description }
}
