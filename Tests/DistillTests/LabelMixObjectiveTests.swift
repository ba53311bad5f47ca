import NN
import XCTest

@testable import Distill

/// Every objective that takes mixed labels (hard labels, KD with and without standardised
/// logits, DIST) puts them in its cross-entropy term: all weight on the partners is the same
/// loss and gradient, bit for bit, as the partners' labels given plainly; weights in between
/// give another loss; DKD and PS-KD refuse them.
final class LabelMixObjectiveTests: XCTestCase {
    func testObjectivesMixTheirHardTerm() throws {
        var rng = SplitMix64(seed: 4)
        let (batch, classes) = (6, 3)
        let teacher = try Sequential([Dense(inFeatures: 4, outFeatures: classes)], inputShape: [4])
        for p in teacher.parameters { for i in p.value.data.indices { p.value.data[i] = rng.uniform(-1, 1) } }
        let input = Tensor(shape: [batch, 4], data: (0..<(batch * 4)).map { _ in rng.uniform(-1, 1) })
        let logits = Tensor(shape: [batch, classes], data: (0..<(batch * classes)).map { _ in rng.uniform(-2, 2) })
        let labels: [Int32] = [0, 1, 2, 0, 1, 2]
        let partners: [Int32] = Array(labels.reversed())
        let indices = Array(0..<batch)
        let teachers = [TeacherModel(model: teacher)]
        let objectives: [(String, Objective)] = [
            ("hard", HardLabelObjective(labelSmoothing: 0.1)),
            (
                "kd",
                DistillationObjective(
                    targets: .live(teachers: teachers, temperature: 2), alpha: 0.6, divergence: .kl,
                    labelSmoothing: 0.1)
            ),
            (
                "kd standardised",
                DistillationObjective(
                    targets: .live(teachers: teachers, output: .softened(temperature: 2, standardized: true)),
                    alpha: 0.6, divergence: .js)
            ),
            (
                "dist",
                DISTObjective(targets: .live(teachers: teachers, output: .logits()), tau: 2, beta: 1, gamma: 1)
            ),
        ]
        for (name, objective) in objectives {
            XCTAssertTrue(objective.acceptsLabelMix, name)
            let (mixedGradient, plainGradient, halfGradient) = (
                Tensor(shape: [0]), Tensor(shape: [0]), Tensor(shape: [0])
            )
            let allPartner = LabelMix(partnerLabels: partners, lambdas: [Float](repeating: 0, count: batch))
            let mixed = objective.loss(
                logits: logits, input: input, labels: labels, mix: allPartner, indices: indices,
                gradient: mixedGradient)
            let plain = objective.loss(
                logits: logits, input: input, labels: partners, mix: nil, indices: indices, gradient: plainGradient)
            XCTAssertEqual(mixed.total, plain.total, name)
            XCTAssertEqual(mixed.hard, plain.hard, name)
            XCTAssertEqual(mixedGradient.data, plainGradient.data, name)
            let half = LabelMix(partnerLabels: partners, lambdas: [1, 0.5, 0.3, 0.7, 0.5, 1])
            let between = objective.loss(
                logits: logits, input: input, labels: labels, mix: half, indices: indices, gradient: halfGradient)
            let expected = mixedCrossEntropy(
                logits: logits, labels: labels, mix: half, labelSmoothing: name == "hard" || name == "kd" ? 0.1 : 0,
                gradient: nil)
            XCTAssertEqual(try XCTUnwrap(between.hard), expected, accuracy: 1e-6, name)
            XCTAssertNotEqual(between.total, plain.total, name)
        }
        let dkd = DecoupledKDObjective(
            targets: .live(teachers: teachers, output: .logits()), temperature: 2, alpha: 1, beta: 8, warmupEpochs: 1)
        XCTAssertFalse(dkd.acceptsLabelMix)
        XCTAssertFalse(ProgressiveSelfObjective(alpha: 0.8, samples: 6, classes: 3).acceptsLabelMix)
    }
}
