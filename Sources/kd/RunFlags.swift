import ArgumentParser
import Distill

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

    @OptionGroup var dataDirectory: DataDirectoryOption

    @Flag(help: "Reuse an existing run folder.")
    var force = false

    @Flag(help: "Print nothing but errors.")
    var quiet = false

    /// Exactly one of --config and --resume, nothing --resume would ignore, a well-formed --stop-after.
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

    /// The config path (validate() ensured one of --config and --resume).
    var configPath: String { config ?? "" }

    /// The run options these flags give `command` ("train", "distill"), with `teacher` as the
    /// teacher checkpoint override.
    func options(teacher: String? = nil, command: String) -> RunOptions {
        var options = RunOptions()
        options.resume = resume
        options.stopAfter = stopAfter.flatMap(StopPoint.init)
        options.command = command
        options.epochs = epochs
        options.seed = seed
        options.output = out
        options.teacherCheckpoint = teacher
        options.dataDirectory = dataDirectory.resolved
        options.force = force
        options.quiet = quiet
        return options
    }
}
