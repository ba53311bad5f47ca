import Distill
import Foundation
import SafeTensors

/// A checkpoint file with no `kd.spec` metadata (a plain PyTorch state_dict) and no spec given
/// on the command line; the message names the file and the option that gives the architecture.
struct MissingSpecError: Error, CustomStringConvertible {
    let path: String
    /// The option(s) that fix it for this command, e.g. "--spec SPEC".
    let specOption: String

    var description: String {
        "\(path): no kd model spec in the file (a plain PyTorch state_dict?); give its architecture with \(specOption)"
    }
}

/// How the commands read a checkpoint: a kd checkpoint carries its spec, a plain state_dict
/// needs one from the command line.
enum CheckpointFile {
    /// Loads `path`, built from the spec YAML at `specPath` when given (it wins over the file's
    /// own), else from the file's `kd.spec`; a file with neither throws `MissingSpecError`
    /// naming `specOption`.
    static func load(path: String, specPath: String?, specOption: String) throws -> Checkpoint {
        let spec = try specPath.map { try ModelSpec.load(path: $0) }
        let url = URL(fileURLWithPath: path)
        let file = try SafeTensorsFile(contentsOf: url)
        guard spec != nil || file.metadata[Checkpoint.specKey] != nil else {
            throw MissingSpecError(path: url.path, specOption: specOption)
        }
        return try Checkpoint.load(file: file, path: url.path, spec: spec)
    }
}
