/// A run folder that cannot be used, or a file in it that cannot be read or removed, and a
/// teacher checkpoint the job may not write. Each case renders as one line naming the path.
public enum RunFolderError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The run folder's path is taken by a file.
    case notAFolder(path: String)
    /// A finished or started run is there; `--force` reuses it, `--out` picks another.
    case exists(path: String)
    case cannotCreate(path: String, reason: String)
    /// `--resume` names a folder that does not exist.
    case noSuchRunFolder(path: String)
    /// `--resume` names a folder without config.yaml.
    case notARunFolder(path: String)
    case cannotRemove(path: String, what: String)
    case cannotRead(path: String)
    /// An existing teacher checkpoint would be replaced without `--force`.
    case teacherCheckpointExists(path: String)
    /// The teacher checkpoint path names a folder (or another non-file).
    case teacherCheckpointNotAFile(path: String)
    /// The folder for the teacher checkpoint cannot be made.
    case cannotCreateTeacherFolder(path: String)

    public var description: String {
        switch self {
        case .notAFolder(let path): return "\(path): exists and is not a folder"
        case .exists(let path): return "\(path): run folder exists; pass --force to reuse it or --out to choose another"
        case .cannotCreate(let path, let reason): return "\(path): cannot create run folder (\(reason))"
        case .noSuchRunFolder(let path): return "\(path): no such run folder to resume"
        case .notARunFolder(let path): return "\(path): not a kd run folder (no config.yaml); nothing to resume"
        case .cannotRemove(let path, let what): return "\(path): cannot remove the \(what)"
        case .cannotRead(let path): return "\(path): cannot read file"
        case .teacherCheckpointExists(let path):
            return "\(path): teacher checkpoint exists; pass --force to replace it, or --out/--teacher elsewhere"
        case .teacherCheckpointNotAFile(let path):
            return "\(path): is a folder, not a teacher checkpoint file (safetensors)"
        case .cannotCreateTeacherFolder(let path): return "\(path): cannot create folder for the teacher checkpoint"
        }
    }
}
