import ArgumentParser
import Distill

/// `kd train`: trains the config's teacher with hard labels and saves it.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train the config's teacher with hard labels.")

    @OptionGroup var flags: RunFlags

    func run() throws {
        try reportingErrors(command: "train") {
            try DistillJob(plan: RunPlan(flags.start()), options: flags.options, task: .trainTeacher).run()
        }
    }
}
