import ArgumentParser
import Distill
import Foundation

/// `kd export`: a model's weights for PyTorch (safetensors) or onnxruntime (ONNX).
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a checkpoint's model for PyTorch (safetensors).")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case safetensors
    }

    @Option(help: "Checkpoint to export.")
    var model: String

    @Option(help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .safetensors

    @Option(help: "Output file.")
    var out: String

    func run() throws {
        try reportingErrors {
            let checkpoint = try Checkpoint.load(from: URL(fileURLWithPath: model))
            switch format {
            case .safetensors:
                try Checkpoint(model: checkpoint.model, spec: checkpoint.spec, normalization: checkpoint.normalization).save(to: URL(fileURLWithPath: out))
            }
            print("exported \(checkpoint.spec.name) (\(checkpoint.model.parameterCount) parameters) to \(out)")
        }
    }
}
