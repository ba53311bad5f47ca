import ArgumentParser
import Distill
import FileSupport
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
    ///
    /// Before anything else, kd re-executes itself when OpenBLAS fell back to SSE-only kernels on
    /// a CPU with AVX2 or AVX-512 (`BLASKernels`).
    ///
    /// Under `mpirun` (see `World`) only rank 0 writes files; an error on any rank is one line
    /// naming the rank, and `MPI_Abort` ends every rank with it.
    static func main() {
        BLASKernels.reexecutingWithBetterKernelsIfNeeded()
        Subnormals.flushToZero()
        AtomicFile.writesFiles = World.launchedSize == nil || World.collective.isRoot
        do {
            var command = try parseAsRoot()
            try command.run()
            World.finish()
        } catch let exit as ExitCode {
            if exit == .success { World.finish() }
            Foundation.exit(exit.rawValue)
        } catch {
            let code = exitCode(for: error)
            let text = message(for: error)
            guard code != .success, !text.isEmpty else { self.exit(withError: error) }
            fail(String(text.split(separator: "\n").first ?? ""), code: code.rawValue)
        }
    }
}
