import Distill
import NN
import TestSupport
import XCTest

/// Three whole training steps with a hint pair (conv1x1 regressor) and an attention pair on top
/// of the KD loss, through `FeatureObjective` with a live teacher, equal PyTorch's
/// (train_features_adam_kd, fixtures_features.py): loss, each term, logits, every student and
/// regressor parameter after every step.
final class FeatureStepTests: XCTestCase {
    func testHintAndAttentionStepsMatchPyTorch() throws {
        let fixture = try Fixture("train_features_adam_kd")
        let student = try Sequential(
            [
                Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 2),
                Conv2d(inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1), ReLU(), Flatten(),
                Dense(inFeatures: 96, outFeatures: 5),
            ],
            inputShape: [2, 8, 8])
        let teacher = try Sequential(
            [
                Conv2d(inChannels: 2, outChannels: 5, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 2),
                Conv2d(inChannels: 5, outChannels: 8, kernelSize: 3, padding: 1), ReLU(), AvgPool2d(kernelSize: 2),
                Flatten(), Dense(inFeatures: 32, outFeatures: 5),
            ],
            inputShape: [2, 8, 8])
        for e in student.stateDict { e.value.copy(from: try fixture.tensor("init.\(e.key)")) }
        for e in teacher.stateDict { e.value.copy(from: try fixture.tensor("teacher.\(e.key)")) }
        let pairs = [
            FeaturePair(
                student: 1, teacher: 1, loss: .hint, weight: 0.5, regressor: .conv1x1, studentShape: [4, 8, 8],
                teacherShape: [5, 8, 8]),
            FeaturePair(
                student: 4, teacher: 5, loss: .attention, weight: 2, studentShape: [6, 4, 4], teacherShape: [8, 2, 2]),
        ]
        let inner = DistillationObjective(
            targets: .live(teachers: [TeacherModel(model: teacher)], temperature: 4), alpha: 0.7, divergence: .kl)
        let objective = try FeatureObjective(inner: inner, teacher: teacher, pairs: pairs, seed: 1)
        XCTAssertEqual(objective.namedRegressorParameters.map(\.key), ["regressor.0.0.weight", "regressor.0.0.bias"])
        for (key, p) in objective.namedRegressorParameters {
            p.value.copy(from: try fixture.tensor("regressor.init.\(key.dropFirst("regressor.0.0.".count))"))
        }
        objective.attach(to: student)
        let optimizer = Adam(parameters: student.parameters + objective.parameters)
        let x = try fixture.tensor("x")
        let labels = try fixture.ints("y").map { Int32($0) }
        let gradient = Tensor(shape: [0])
        for step in 1...3 {
            student.zeroGrad()
            let logits = student.forward(x, training: true)
            let parts = objective.loss(
                logits: logits, input: x, labels: labels, mix: nil, indices: Array(0..<8), gradient: gradient)
            student.accumulateGradients(gradient)
            optimizer.step(learningRate: try fixture.meta("lr", as: Float.self))
            let at = "features step \(step)"
            assertMatches([parts.total], try fixture.tensor("step\(step).loss").data, "\(at)/loss")
            assertMatches([objective.featureTermLosses[0]], try fixture.tensor("step\(step).hint").data, "\(at)/hint")
            assertMatches(
                [objective.featureTermLosses[1]], try fixture.tensor("step\(step).attention").data, "\(at)/attention")
            assertMatches(logits, try fixture.tensor("step\(step).logits"), "\(at)/logits")
            for (key, p) in student.namedParameters {
                assertMatches(p.value, try fixture.tensor("step\(step).\(key)"), "\(at)/\(key)")
            }
            for (key, p) in objective.namedRegressorParameters {
                let name = key.dropFirst("regressor.0.0.".count)
                assertMatches(p.value, try fixture.tensor("step\(step).regressor.\(name)"), "\(at)/regressor.\(name)")
            }
        }
        XCTAssertEqual(objective.featureTermNames, ["hint 1->1", "attention 4->5"])
    }
}
