import Distill
import Foundation
import NN
import SafeTensors
import XCTest

/// Runs a kd safetensors file in PyTorch through python/kd_torch.py (Tests/kdTests/python/
/// torch_run.py: `kd_torch.load`, `load_state_dict(strict=True)`, eval mode).
enum TorchLoader {
    /// The largest |torch - kd| over the logits of `checkpoint` (saved at `saved`) on `batch`
    /// random inputs drawn from `seed`, and torch_run.py's summary line. Works in `folder`.
    static func maxLogitDifference(
        _ checkpoint: Checkpoint, saved: URL, batch: Int, seed: UInt64, python: URL, in folder: URL
    ) throws -> (worst: Float, summary: String) {
        let input = Tensor(shape: [batch] + checkpoint.spec.input)
        var rng = SplitMix64(seed: seed)
        for i in input.data.indices { input.data[i] = rng.nextUnit() }
        let logits = checkpoint.model.forward(input, training: false)
        var writer = SafeTensorsWriter()
        writer.add("x", shape: input.shape, floats: input.data)
        try writer.write(to: folder.appendingPathComponent("inputs.safetensors"))
        let script = KDProcess.root.appendingPathComponent("Tests/kdTests/python/torch_run.py").path
        let run = try KDProcess.runTool(
            python, [script, saved.path, "inputs.safetensors", "torch.safetensors"], in: folder)
        XCTAssertEqual(run.status, 0, run.stderr)
        let torch = try SafeTensorsFile(contentsOf: folder.appendingPathComponent("torch.safetensors")).floats("logits")
        XCTAssertEqual(torch.count, logits.count)
        let worst = zip(torch, logits.data).map { abs($0 - $1) }.max() ?? .infinity
        return (worst, run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
