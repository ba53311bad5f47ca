import ArgumentParser
import Distill

/// `kd distill`: the main job.
struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill", abstract: "Distill the config's student from its teacher (training the teacher first if needed).")

    @OptionGroup var flags: RunFlags

    @Option(help: "Teacher checkpoint to use instead of the config's.")
    var teacher: String?

    @Option(help: "Override distillation.temperature.")
    var temperature: Float?

    @Option(help: "Override distillation.alpha (the weight of the soft, teacher term).")
    var alpha: Float?

    func run() throws {
        try reportingErrors {
            var options = flags.options(teacher: teacher)
            options.temperature = temperature
            options.alpha = alpha
            try DistillJob(configPath: flags.config, options: options).distill()
        }
    }
}
