import NN
import XCTest

@testable import Distill

/// Every `training.optimizer` key of a run config reaches the optimizer kd builds (AdamW once
/// dropped `eps`: a setting copied by hand).
final class OptimizerFactoryTests: XCTestCase {
    /// The optimizer section of `yaml` (a `training.optimizer` mapping), as the trainer builds it.
    func optimizer(_ yaml: String) throws -> (config: OptimizerConfig, optimizer: Optimizer) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kd-optim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "input: [4]\nlayers: [{linear: {out: 3}}]\n".write(
            to: dir.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        let text = "student: {model: m.yaml}\ntraining:\n  optimizer: \(yaml)\n"
        let config = try RunConfig(yaml: text, file: dir.appendingPathComponent("run.yaml").path).training.optimizer
        let parameter = Parameter(name: "w", value: Tensor(shape: [2], data: [1, 2]))
        return (config, OptimizerFactory.make(config, parameters: [parameter]))
    }

    /// The keys each case below sets; the test fails when the config gains a key it misses.
    let covered: Set<String> = ["name", "lr", "weight_decay", "momentum", "nesterov", "betas", "eps"]

    func testEveryKeyIsCovered() {
        XCTAssertEqual(covered, Set(OptimizerConfig.keys))
    }

    func testAdamWKeepsEveryKey() throws {
        let (config, made) = try optimizer(
            "{name: adamw, lr: 0.003, weight_decay: 0.05, betas: [0.8, 0.95], eps: 1.0e-6}")
        let adamw = try XCTUnwrap(made as? AdamW)
        XCTAssertEqual(config.lr, 0.003)
        XCTAssertEqual(adamw.beta1, 0.8)
        XCTAssertEqual(adamw.beta2, 0.95)
        XCTAssertEqual(adamw.eps, 1e-6)
        XCTAssertEqual(adamw.weightDecay, 0.05)
    }

    func testAdamKeepsEveryKey() throws {
        let (config, made) = try optimizer(
            "{name: adam, lr: 0.02, weight_decay: 0.001, betas: [0.7, 0.9], eps: 1.0e-5}")
        let adam = try XCTUnwrap(made as? Adam)
        XCTAssertFalse(made is AdamW)
        XCTAssertEqual(config.lr, 0.02)
        XCTAssertEqual(adam.beta1, 0.7)
        XCTAssertEqual(adam.beta2, 0.9)
        XCTAssertEqual(adam.eps, 1e-5)
        XCTAssertEqual(adam.weightDecay, 0.001)
    }

    func testSGDKeepsEveryKey() throws {
        let (config, made) = try optimizer("{name: sgd, lr: 0.1, weight_decay: 0.0005, momentum: 0.9, nesterov: true}")
        let sgd = try XCTUnwrap(made as? SGD)
        XCTAssertEqual(config.lr, 0.1)
        XCTAssertEqual(sgd.momentum, 0.9)
        XCTAssertTrue(sgd.nesterov)
        XCTAssertEqual(sgd.weightDecay, 0.0005)
    }

    /// The base learning rate reaches the schedule the trainer steps with.
    func testLearningRateReachesTheSchedule() throws {
        let (config, _) = try optimizer("{name: sgd, lr: 0.25}")
        let schedule = OptimizerFactory.schedule(ScheduleConfig(), epochs: 3)
        XCTAssertEqual(schedule.learningRate(base: config.lr, epoch: 2), 0.25)
    }
}
