/// Why a file could not be written; `description` is one line naming the file.
public enum FileWriteError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The temporary file could not be created in `folder` (missing, read-only, not a folder).
    case cannotCreate(file: String, folder: String)
    /// Writing or flushing the temporary file failed; `reason` is the system's message.
    case writeFailed(file: String, reason: String)
    /// The finished temporary file could not be renamed over `file`.
    case cannotRename(file: String)

    /// One line naming the file (line breaks in a system message become spaces).
    public var description: String {
        switch self {
        case .cannotCreate(let file, let folder): return "\(file): cannot create a file in \(folder)"
        case .writeFailed(let file, let reason):
            return "\(file): write failed (\(reason.split(whereSeparator: \.isNewline).joined(separator: " ")))"
        case .cannotRename(let file): return "\(file): cannot rename the temporary file into place"
        }
    }
}
