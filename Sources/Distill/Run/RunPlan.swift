import Foundation

/// Command-line values that replace the config file's.
public struct RunOverrides: Sendable {
    public var epochs: Int?
    public var seed: UInt64?
    public var output: String?
    public var teacherCheckpoint: String?
    public var temperature: Float?
    public var alpha: Float?

    public init(
        epochs: Int? = nil, seed: UInt64? = nil, output: String? = nil, teacherCheckpoint: String? = nil,
        temperature: Float? = nil, alpha: Float? = nil
    ) {
        self.epochs = epochs
        self.seed = seed
        self.output = output
        self.teacherCheckpoint = teacherCheckpoint
        self.temperature = temperature
        self.alpha = alpha
    }
}

/// Where a run's config comes from: a config file with command-line overrides, or the
/// config.yaml of a run folder being resumed (which takes no overrides: it continues as it was).
public enum RunStart: Sendable {
    case fresh(configPath: String, overrides: RunOverrides)
    case resume(folder: String)
}

/// The resolved config of a run and whether it continues an earlier one: the one place a run's
/// config is produced, fresh or resumed, before it is handed to `DistillJob`.
public struct RunPlan: Sendable {
    public let config: RunConfig
    /// True for `--resume`: phases continue from their resume files in the run folder.
    public let resuming: Bool

    /// Reads the config file and applies the overrides, or reads a run folder's config.yaml
    /// (with the output set to that folder).
    public init(_ start: RunStart) throws {
        switch start {
        case .fresh(let path, let o):
            config = try RunConfig.load(path: path).applying(
                epochs: o.epochs, seed: o.seed, output: o.output, teacherCheckpoint: o.teacherCheckpoint,
                temperature: o.temperature, alpha: o.alpha)
            resuming = false
        case .resume(let folder):
            let path = URL(fileURLWithPath: folder).appendingPathComponent("config.yaml").path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw RunFolderError.noSuchRunFolder(path: folder)
            }
            guard FileManager.default.fileExists(atPath: path) else { throw RunFolderError.notARunFolder(path: folder) }
            config = try RunConfig.load(path: path).applying(output: folder)
            resuming = true
        }
    }
}
