import ArgumentParser
import Distill

/// `--model FILE` and `--spec SPEC`: the one checkpoint `kd evaluate` and `kd export` read.
struct CheckpointOptions: ParsableArguments {
    @Option(help: "Checkpoint (safetensors): a kd checkpoint, or a plain PyTorch state_dict with --spec.")
    var model: String

    @Option(help: "Model spec (YAML) for a checkpoint without kd metadata, e.g. a PyTorch state_dict.")
    var spec: String?

    /// The checkpoint, built from `--spec` when given, else from the file's own spec.
    func load() throws -> Checkpoint {
        try CheckpointFile.load(path: model, specPath: spec, specOption: "--spec SPEC")
    }
}
