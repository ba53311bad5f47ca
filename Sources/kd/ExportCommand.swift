import ArgumentParser
import Distill
import Foundation

/// `kd export`: a model's weights for PyTorch (safetensors) or onnxruntime (ONNX).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a checkpoint's model for PyTorch (safetensors) or onnxruntime (ONNX).")

    /// The file formats `--format` accepts.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case safetensors
        case onnx
    }

    @OptionGroup var checkpoint: CheckpointOptions

    @Option(help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .safetensors

    @Option(help: "Output file.")
    var out: String

    /// Loads the checkpoint and writes it in `format` to `out`.
    func run() throws {
        try reportingErrors {
            let checkpoint = try self.checkpoint.load()
            switch format {
            case .safetensors:
                try Checkpoint(model: checkpoint.model, spec: checkpoint.spec, normalization: checkpoint.normalization)
                    .save(to: URL(fileURLWithPath: out))
            case .onnx:
                try ONNXExport.write(checkpoint, to: URL(fileURLWithPath: out))
            }
            print("exported \(checkpoint.spec.name) (\(checkpoint.model.parameterCount) parameters) to \(out)")
        }
    }
}
