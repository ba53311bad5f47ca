import ArgumentParser
import Distill
import Foundation

/// kd: knowledge distillation on the CPU.
@main
struct KD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kd",
        abstract: "Knowledge distillation on the CPU: train a teacher, distill a student, compare, export.",
        subcommands: [TrainCommand.self, DistillCommand.self, EvaluateCommand.self, CompareCommand.self, ExportCommand.self,
                      PlotCommand.self, BenchCommand.self])
}

/// Runs `body`, turning any error into one line on stderr and exit status 1.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        FileHandle.standardError.write(Data("kd: error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// Flags shared by the commands that run a config.
struct RunFlags: ParsableArguments {
    @Option(name: .shortAndLong, help: "Run config (YAML), e.g. Configs/demo.yaml.")
    var config: String

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

    func options(teacher: String? = nil) -> RunOptions {
        var options = RunOptions()
        options.epochs = epochs
        options.seed = seed
        options.output = out
        options.teacherCheckpoint = teacher
        options.dataDirectory = dataDir
        options.force = force
        options.quiet = quiet
        return options
    }
}
