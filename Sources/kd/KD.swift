import ArgumentParser
import Distill
import Foundation
import NN

/// kd: knowledge distillation on the CPU.
@main
struct KD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kd",
        abstract: "Knowledge distillation on the CPU: train a teacher, distill a student, compare, export.",
        subcommands: [
            TrainCommand.self, DistillCommand.self, EvaluateCommand.self, CompareCommand.self, ExportCommand.self,
            PlotCommand.self, ReportCommand.self, BenchCommand.self,
        ])

    /// Like ArgumentParser's `main`, but a bad argument is one line (`kd: error: ...`) with the
    /// usage error's exit status, not the usage block; `--help` still prints help.
    /// Subnormal floats are flushed to zero first, before any worker thread exists, so every
    /// thread kd starts inherits it (`Subnormals`).
    static func main() {
        Subnormals.flushToZero()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            let text = message(for: error)
            guard code != .success, !text.isEmpty else { self.exit(withError: error) }
            FileHandle.standardError.write(Data("kd: error: \(text.split(separator: "\n").first ?? "")\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
