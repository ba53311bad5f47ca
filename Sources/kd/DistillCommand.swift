import ArgumentParser
import Distill

/// `kd distill`: the main job.
struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill", abstract: "Distill the config's student from its teacher (training the teacher first if needed).")

    @OptionGroup var flags: RunFlags

    @Option(help: "Teacher checkpoint to use instead of the config's.")
    var teacher: String?

    func validate() throws {
        if flags.resume != nil, teacher != nil {
            throw ValidationError("--resume continues the run with its own config.yaml; drop --teacher")
        }
    }

    func run() throws {
        try reportingErrors {
            try DistillJob(configPath: flags.configPath, options: flags.options(teacher: teacher, command: "distill")).distill()
        }
    }
}
