import Foundation
import NN

extension DistillJob {
    /// Born-again networks (Furlanello et al. 2018): generation 0 is the teacher; generation k
    /// has the same architecture and is distilled from generation k-1, loaded from its
    /// checkpoint file in the run folder. Reports every generation and the ensemble of
    /// generations 1...N (mean of their softmax outputs, computed from outputs.safetensors).
    func bornAgain() throws -> Comparison {
        let role = try config.requireTeacher(for: "born-again distillation")
        let d = config.distillation
        let training = config.student?.training ?? role.training
        let generation0 = try teacher()
        try generation0.checkpoint.save(to: runFolder.file("generation-0.safetensors"))
        var models = [
            ComparedModel(name: "generation-0", model: generation0.checkpoint.model, input: generation0.input)
        ]
        for k in 1...d.generations {
            let previous = runFolder.file("generation-\(k - 1).safetensors")
            // Generation 0 keeps the inputs it was trained on; later ones were trained by this run.
            let teacher =
                k == 1
                ? generation0.teacher
                : TeacherModel(model: try Checkpoint.load(from: previous, fallbackSpec: role.model.spec).model)
            progress.message(
                "generation \(k) of \(d.generations): distilled from \(previous.lastPathComponent), T=\(d.temperature), alpha=\(d.alpha)"
            )
            let seed = studentSeed &+ UInt64(k)
            let objective = distillationObjective(
                from: [teacher], labelSmoothing: training.labelSmoothing, phaseSeed: seed
            ).objective
            let generation = try trainModel(
                role.model.spec, training: training, phase: "generation-\(k)", seed: seed,
                objective: objective,
                metadata: [
                    "kd.teacher": previous.lastPathComponent, "kd.teacher_fnv1a64": try FileDigest.fnv1a64(previous),
                ])
            models.append(ComparedModel(name: "generation-\(k)", model: generation.model))
        }
        if d.baseline, let student = config.student {
            models.append(ComparedModel(name: "baseline", model: try trainBaseline(student).model))
        }
        let outputs = try StoredOutputs.write(
            models: models.filter { $0.name.hasPrefix("generation-") },
            dataset: try RunInputs.evaluationSet(of: splits, config: config),
            to: runFolder.file("outputs.safetensors"))
        let members = (1...d.generations).map { "generation-\($0)" }
        let ensemble = try outputs.ensembleAccuracy(of: members)
        let comparison = try finish(models, extra: ["ensemble": ["members": members, "accuracy": ensemble]])
        progress.message(
            String(format: "ensemble of generations 1-%d (mean softmax): %.2f%%", d.generations, 100 * ensemble))
        return comparison
    }
}

/// A content fingerprint of a file (64-bit FNV-1a, hex), to record which file taught a model.
enum FileDigest {
    static func fnv1a64(_ url: URL) throws -> String {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunFolderError.cannotRead(path: url.path)
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in data {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return String(format: "%016llx", hash)
    }
}
