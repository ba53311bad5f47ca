import ArgumentParser
import Distill
import Foundation

/// `kd export`: a model's weights for PyTorch (safetensors) or onnxruntime (ONNX).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a checkpoint's model for PyTorch (safetensors) or onnxruntime (ONNX).")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case safetensors
        case onnx
    }

    @Option(help: "Checkpoint to export.")
    var model: String

    @Option(help: "Model spec (YAML) for a checkpoint without kd metadata, e.g. a PyTorch state_dict.")
    var spec: String?

    @Option(help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .safetensors

    @Option(help: "Output file.")
    var out: String

    func run() throws {
        try reportingErrors {
            let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: model), specPath: spec)
            switch format {
            case .safetensors:
                try Checkpoint(model: checkpoint.model, spec: checkpoint.spec, normalization: checkpoint.normalization).save(to: URL(fileURLWithPath: out))
            case .onnx:
                try ONNXExport.write(checkpoint, to: URL(fileURLWithPath: out))
            }
            print("exported \(checkpoint.spec.name) (\(checkpoint.model.parameterCount) parameters) to \(out)")
        }
    }
}
