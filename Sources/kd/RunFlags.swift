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

    @Option(help: .hidden)
    var crashAt: String?

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
                throw ValidationError(
                    "--resume \(resume) continues the run with its own config.yaml; drop --config, --epochs, --seed, --out and --force"
                )
            }
        } else if config == nil {
            throw ValidationError("give --config FILE (or --resume RUN_DIR)")
        }
        if let stopAfter, StopPoint(stopAfter) == nil {
            throw ValidationError("--stop-after takes PHASE:EPOCH[:BATCH], got '\(stopAfter)'")
        }
        if let crashAt, CrashPoint(crashAt) == nil {
            throw ValidationError(
                "--crash-at takes PHASE:EPOCH:\(CrashPoint.Moment.spellings)[@RANK], got '\(crashAt)'"
            )
        }
    }

    /// Where the run's config comes from (validate() ensured one of --config and --resume),
    /// with the distill command's overrides.
    func start(teacher: String? = nil, temperature: Float? = nil, alpha: Float? = nil) -> RunStart {
        if let resume { return .resume(folder: resume) }
        return .fresh(
            configPath: config ?? "",
            overrides: RunOverrides(
                epochs: epochs, seed: seed, output: out, teacherCheckpoint: teacher, temperature: temperature,
                alpha: alpha))
    }

    /// The flags that are not config overrides.
    var options: RunOptions {
        RunOptions(
            dataDirectory: dataDirectory.path, force: force, quiet: quiet,
            stopAfter: stopAfter.flatMap(StopPoint.init), crashAt: crashAt.flatMap(CrashPoint.init))
    }
}
