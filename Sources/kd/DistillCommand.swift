import ArgumentParser
import Distill

/// `kd distill`: the main job.
struct DistillCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "distill",
        abstract: "Distill the config's student from its teacher (training the teacher first if needed).")

    @OptionGroup var flags: RunFlags

    @Option(help: "Teacher checkpoint to use instead of the config's.")
    var teacher: String?

    @Option(help: "Override distillation.temperature.")
    var temperature: Float?

    @Option(help: "Override distillation.alpha (the weight of the soft, teacher term).")
    var alpha: Float?

    func validate() throws {
        if flags.resume != nil, teacher != nil || temperature != nil || alpha != nil {
            throw ValidationError(
                "--resume continues the run with its own config.yaml; drop --teacher, --temperature and --alpha")
        }
    }

    func run() throws {
        try reportingErrors(command: "distill") {
            let start = flags.start(teacher: teacher, temperature: temperature, alpha: alpha)
            try DistillJob(plan: RunPlan(start), options: flags.options, task: .distill).run()
        }
    }
}
