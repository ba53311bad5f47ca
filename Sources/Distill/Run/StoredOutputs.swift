import Foundation
import NN
import SafeTensors

/// Softmax outputs of several models over one evaluation set, stored in the run folder
/// (outputs.safetensors: one [N, K] tensor per model, plus "labels"), so ensembles are computed
/// from what was stored, not from models kept in memory.
public struct StoredOutputs {
    public let probabilities: [String: Tensor]
    public let labels: [Int32]

    /// Computes each model's softmax outputs on `dataset` (renormalised as it was trained) and
    /// writes them to `url`.
    static func write(models: [ComparedModel], dataset: Dataset, to url: URL) throws -> StoredOutputs {
        var writer = SafeTensorsWriter()
        var probabilities: [String: Tensor] = [:]
        for entry in models {
            let name = entry.name
            let logits = Inference.logits(of: entry.model, on: dataset, renormalizing: entry.input)
            let p = Tensor(shape: logits.shape)
            softmax(logits, into: p)
            probabilities[name] = p
            writer.add(name, shape: p.shape, floats: p.data)
        }
        writer.add("labels", shape: [dataset.count], int64: dataset.labels.map { Int64($0) })
        try writer.write(to: url)
        return StoredOutputs(probabilities: probabilities, labels: dataset.labels)
    }

    /// Reads outputs.safetensors back.
    public static func read(_ url: URL) throws -> StoredOutputs {
        let file = try SafeTensorsFile(contentsOf: url)
        guard let labelInfo = file.tensors["labels"] else { throw StoredOutputsError.missingLabels(file: url.path) }
        var probabilities: [String: Tensor] = [:]
        for name in file.names where name != "labels" {
            guard let info = file.tensors[name], info.shape.count == 2, info.shape[0] == labelInfo.elementCount else {
                throw StoredOutputsError.badShape(
                    file: url.path, tensor: name, shape: file.tensors[name]?.shape ?? [],
                    samples: labelInfo.elementCount)
            }
            probabilities[name] = Tensor(shape: info.shape, data: try file.floats(name))
        }
        return StoredOutputs(probabilities: probabilities, labels: try file.floats("labels").map { Int32($0) })
    }

    /// Top-1 accuracy of the mean of the named models' softmax outputs.
    public func ensembleAccuracy(of names: [String]) throws -> Double {
        let members = try names.map { name -> Tensor in
            guard let p = probabilities[name] else { throw StoredOutputsError.unknownModel(name: name) }
            return p
        }
        guard let first = members.first else { throw StoredOutputsError.emptyEnsemble }
        let mean = Tensor(shape: first.shape)
        for p in members { mean.add(p) }
        mean.scale(by: 1 / Float(members.count))
        return Double(mean.correctPredictions(labels)) / Double(max(labels.count, 1))
    }
}
