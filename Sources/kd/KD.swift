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
        subcommands: [TrainCommand.self, DistillCommand.self, EvaluateCommand.self, CompareCommand.self, ExportCommand.self,
                      PlotCommand.self, BenchCommand.self])

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

/// Runs `body`, turning any error into one line on stderr and exit status 1. An interruption
/// exits 130 with the `kd <command> --resume RUN_DIR` line that continues the run.
func reportingErrors(command: String? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let stop as InterruptedError {
        let hint = zip([command], [stop.runFolder]).compactMap { c, folder in
            c.flatMap { c in folder.map { "; continue with: kd \(c) --resume \($0)" } }
        }.first ?? ""
        FileHandle.standardError.write(Data("kd: interrupted: \(stop)\(hint)\n".utf8))
        throw ExitCode(130)
    } catch {
        FileHandle.standardError.write(Data("kd: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Flags shared by the commands that run a config.
struct RunFlags: ParsableArguments {
    @Option(name: .shortAndLong, help: "Run config (YAML), e.g. Configs/demo.yaml.")
    var config: String?

    @Option(help: "Continue the run in this folder from its last completed epoch (or Ctrl-C point), bit for bit.")
    var resume: String?

    @Option(help: .hidden)
    var stopAfter: String?

    @Option(help: "Override the number of epochs (teacher and student).")
    var epochs: Int?

    @Option(help: "Override the random seed.")
    var seed: UInt64?

    @Option(help: "Run folder (default runs/<config name>).")
    var out: String?

    @Option(help: "Folder of the data set's files (default: KD_DATA_DIR, then the Debian package's folder).")
    var dataDir: String?

    @Flag(help: "Reuse an existing run folder.")
    var force = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    func validate() throws {
        if let resume {
            guard config == nil, epochs == nil, seed == nil, out == nil, !force else {
                throw ValidationError("--resume \(resume) continues the run with its own config.yaml; drop --config, --epochs, --seed, --out and --force")
            }
        } else if config == nil {
            throw ValidationError("give --config FILE (or --resume RUN_DIR)")
        }
        if let stopAfter, StopPoint(stopAfter) == nil {
            throw ValidationError("--stop-after takes PHASE:EPOCH[:BATCH], got '\(stopAfter)'")
        }
    }

    /// Where the run's config comes from (validate() ensured one of --config and --resume).
    func start(teacher: String? = nil, temperature: Float? = nil, alpha: Float? = nil) -> RunStart {
        if let resume { return .resume(folder: resume) }
        return .fresh(configPath: config ?? "", overrides: RunOverrides(
            epochs: epochs, seed: seed, output: out, teacherCheckpoint: teacher, temperature: temperature, alpha: alpha))
    }

    /// The flags that are not config overrides.
    var options: RunOptions {
        RunOptions(dataDirectory: dataDir, force: force, quiet: quiet, stopAfter: stopAfter.flatMap(StopPoint.init))
    }
}
