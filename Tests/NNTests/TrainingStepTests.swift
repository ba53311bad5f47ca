import NN
import TestSupport
import XCTest

/// Whole training steps equal PyTorch's: 3 consecutive zero_grad / forward (train mode) / loss /
/// backward / optimizer step, compared after every step (loss, logits, every parameter) and,
/// after the last, every buffer (BatchNorm running statistics). See fixtures_training.py.
///
/// The MLP trains with Dropout(p = 0.3) really active: the fixture's PyTorch model draws its
/// masks from kd's SplitMix64 with the stored seed, so kd's own Dropout reproduces them.
final class TrainingStepTests: XCTestCase {
    private enum Recipe: String {
        /// Hard-label cross-entropy, SGD(lr 0.1, momentum 0.9, Nesterov, weight decay 1e-4).
        case sgdCE = "sgd_ce"
        /// KD loss (T = 4, alpha = 0.7) against fixed teacher logits, Adam(lr 1e-2).
        case adamKD = "adam_kd"
    }

    private func makeMLP(_ fixture: Fixture) throws -> Sequential {
        let seed = try fixture.meta("dropout_seed", as: UInt64.self)
        let p = try fixture.meta("dropout_p", as: Float.self)
        return try Sequential(
            [
                Flatten(), Dense(inFeatures: 12, outFeatures: 16), ReLU(), Dropout(p: p, rng: SplitMix64(seed: seed)),
                Dense(inFeatures: 16, outFeatures: 5),
            ],
            inputShape: [3, 2, 2])
    }

    private func makeCNN(_ fixture: Fixture) throws -> Sequential {
        try Sequential(
            [
                Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, bias: false),
                BatchNorm2d(numFeatures: 4),
                ReLU(), MaxPool2d(kernelSize: 2),
                Conv2d(inChannels: 4, outChannels: 6, kernelSize: 3, stride: 2, padding: 1),
                ReLU(), AvgPool2d(kernelSize: 2), Flatten(), Dense(inFeatures: 6, outFeatures: 5),
            ],
            inputShape: [2, 8, 8])
    }

    /// fixtures_residual.py's ResNet-8-style network: stem conv BN ReLU, an identity block, a
    /// projection block with stride 2, global average pooling, flatten, linear.
    private func makeResNet(_ fixture: Fixture) throws -> Sequential {
        try Sequential(
            [
                Conv2d(inChannels: 2, outChannels: 4, kernelSize: 3, padding: 1, bias: false),
                BatchNorm2d(numFeatures: 4), ReLU(),
                try resnetBlock(4, 4, stride: 1, size: 8), try resnetBlock(4, 6, stride: 2, size: 8),
                GlobalAvgPool2d(), Flatten(), Dense(inFeatures: 6, outFeatures: 5),
            ],
            inputShape: [2, 8, 8])
    }

    /// Loads `init.*` into `model`, runs the fixture's steps with kd's engine and compares.
    private func checkTraining(_ name: String, _ recipe: Recipe, build: (Fixture) throws -> Sequential) throws {
        let label = "\(name)_\(recipe.rawValue)"
        let fixture = try Fixture("train_\(label)")
        let model = try build(fixture)
        XCTAssertEqual(model.inputShape, try fixture.meta("input_shape", as: [Int].self))
        XCTAssertEqual(model.stateDict.map(\.key), try fixture.meta("state_dict_keys", as: [String].self))
        for entry in model.stateDict { try load(entry.value, from: fixture, "init.\(entry.key)") }

        let x = try fixture.tensor("x")
        let labels = try fixture.ints("y").map { Int32($0) }
        let learningRate = try fixture.meta("lr", as: Float.self)
        let optimizer: Optimizer
        var teacherTarget: Tensor?
        switch recipe {
        case .sgdCE:
            optimizer = SGD(parameters: model.parameters, momentum: 0.9, nesterov: true, weightDecay: 1e-4)
        case .adamKD:
            optimizer = Adam(parameters: model.parameters)
            let target = Tensor(shape: [0])
            softTargets(teacherLogits: try fixture.tensor("teacher"), temperature: 4, into: target)
            teacherTarget = target
        }

        let gradient = Tensor(shape: [0])
        let steps = try fixture.meta("steps", as: Int.self)
        XCTAssertEqual(steps, 3)
        for step in 1...steps {
            model.zeroGrad()
            let logits = model.forward(x, training: true)
            let loss: Float
            if let teacherTarget {
                loss =
                    distillationLoss(
                        studentLogits: logits, teacherTarget: teacherTarget, labels: labels,
                        temperature: 4, alpha: 0.7, gradient: gradient
                    ).total
            } else {
                loss = crossEntropy(logits: logits, labels: labels, gradient: gradient)
            }
            model.backward(gradient)
            optimizer.step(learningRate: learningRate)

            assertMatches([loss], try fixture.tensor("step\(step).loss").data, "\(label) step \(step)/loss")
            assertMatches(logits, try fixture.tensor("step\(step).logits"), "\(label) step \(step)/logits")
            for (key, p) in model.namedParameters {
                assertMatches(p.value, try fixture.tensor("step\(step).\(key)"), "\(label) step \(step)/\(key)")
            }
        }
        let bufferKeys = fixture.file.names.filter { $0.hasPrefix("final.") }.map { String($0.dropFirst(6)) }
        let buffers = model.stateDict.filter { !model.namedParameters.map(\.key).contains($0.key) }
        XCTAssertEqual(buffers.map(\.key).sorted(), bufferKeys.sorted(), "\(label): buffers")
        for entry in buffers {
            assertMatches(entry.value, try fixture.tensor("final.\(entry.key)"), "\(label) final/\(entry.key)")
        }
    }

    func testMLPCrossEntropySGDStepsMatchPyTorch() throws {
        try checkTraining("mlp", .sgdCE, build: makeMLP)
    }

    func testMLPDistillationAdamStepsMatchPyTorch() throws {
        try checkTraining("mlp", .adamKD, build: makeMLP)
    }

    func testCNNCrossEntropySGDStepsMatchPyTorch() throws {
        try checkTraining("cnn", .sgdCE, build: makeCNN)
    }

    func testCNNDistillationAdamStepsMatchPyTorch() throws {
        try checkTraining("cnn", .adamKD, build: makeCNN)
    }

    func testResNetCrossEntropySGDStepsMatchPyTorch() throws {
        try checkTraining("resnet", .sgdCE, build: makeResNet)
    }

    func testResNetDistillationAdamStepsMatchPyTorch() throws {
        try checkTraining("resnet", .adamKD, build: makeResNet)
    }
}
