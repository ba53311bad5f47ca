import Foundation
import NN
import TestSupport
import XCTest

/// SGD, Adam and AdamW against torch.optim (fixture "optim"): ten steps on two parameters with
/// fixed gradients and a learning rate changing every step; every intermediate value compared.
final class OptimizerTests: XCTestCase {
    private typealias Factory = ([Parameter]) -> Optimizer

    /// The fixture's CONFIGS: name -> (optimizer, base learning rate).
    private let configs: [(name: String, make: Factory, learningRate: Float)] = [
        ("sgd_plain", { SGD(parameters: $0) }, 0.1),
        ("sgd_momentum", { SGD(parameters: $0, momentum: 0.9) }, 0.1),
        ("sgd_nesterov", { SGD(parameters: $0, momentum: 0.9, nesterov: true) }, 0.1),
        ("sgd_weight_decay", { SGD(parameters: $0, momentum: 0.9, dampening: 0.1, weightDecay: 0.05) }, 0.1),
        ("adam", { Adam(parameters: $0) }, 0.01),
        ("adam_weight_decay", { Adam(parameters: $0, weightDecay: 0.05) }, 0.01),
        ("adamw", { AdamW(parameters: $0, weightDecay: 0.05) }, 0.01),
    ]

    private struct Run {
        let w0: Tensor, b0: Tensor, gw: Tensor, gb: Tensor
        let scale: [Float]
        var steps: Int { scale.count }

        init(_ fixture: Fixture) throws {
            w0 = try fixture.tensor("w0")
            b0 = try fixture.tensor("b0")
            gw = try fixture.tensor("gw")
            gb = try fixture.tensor("gb")
            scale = try fixture.tensor("lr_scale").data
        }

        func parameters() -> [Parameter] {
            [Parameter(name: "weight", value: w0.clone()), Parameter(name: "bias", value: b0.clone())]
        }

        /// Steps `range` of the fixed gradients; returns each parameter's values after every step.
        func train(_ optimizer: Optimizer, learningRate: Float, steps range: Range<Int>) -> [[Float]] {
            var trajectory: [[Float]] = [[], []]
            for step in range {
                for (parameter, grads) in zip(optimizer.parameters, [gw, gb]) {
                    let n = parameter.grad.count
                    parameter.grad.data = Array(grads.data[(step * n)..<((step + 1) * n)])
                }
                optimizer.step(learningRate: Float(Double(learningRate) * Double(scale[step])))
                for (i, parameter) in optimizer.parameters.enumerated() { trajectory[i] += parameter.value.data }
            }
            return trajectory
        }
    }

    func testTrajectoriesMatchTorch() throws {
        let fixture = try Fixture("optim")
        let run = try Run(fixture)
        for config in configs {
            let optimizer = config.make(run.parameters())
            let trajectory = run.train(optimizer, learningRate: config.learningRate, steps: 0..<run.steps)
            for (i, suffix) in ["w", "b"].enumerated() {
                let expected = try fixture.tensor("\(config.name)_\(suffix)")
                assertMatches(trajectory[i], expected.data, "\(config.name) \(suffix), all \(run.steps) steps")
                let last = expected.count / run.steps
                assertMatches(
                    Array(trajectory[i].suffix(last)), Array(expected.data.suffix(last)),
                    "\(config.name) \(suffix), final")
            }
        }
    }

    /// 5 steps, snapshot, a new optimizer loads it, 5 more steps == 10 straight steps, bit for bit.
    func testStateRoundTripResumesExactly() throws {
        let run = try Run(try Fixture("optim"))
        for config in configs {
            let straight = config.make(run.parameters())
            let expected = run.train(straight, learningRate: config.learningRate, steps: 0..<10)

            let parameters = run.parameters()
            let first = config.make(parameters)
            _ = run.train(first, learningRate: config.learningRate, steps: 0..<5)
            let saved = Dictionary(uniqueKeysWithValues: first.stateTensors().map { ($0.name, $0.tensor) })
            XCTAssertEqual(saved["step"]?.data, [5], config.name)
            let resumed = config.make(parameters)
            try resumed.loadState(saved)
            let tail = run.train(resumed, learningRate: config.learningRate, steps: 5..<10)
            for i in 0..<2 {
                XCTAssertEqual(
                    tail[i], Array(expected[i].suffix(tail[i].count)),
                    "\(config.name) parameter \(i): resumed != straight")
            }
        }
    }

    /// Adam's update (16 lanes at a time with AVX-512, then a tail of 5) equals the documented
    /// scalar expressions bit for bit, step after step: plain, with L2 weight decay, and AdamW.
    func testAdamUpdateIsBitForBitTheScalarFormula() {
        let (count, learningRate, beta1, beta2, eps): (Int, Float, Float, Float, Float) = (37, 0.01, 0.9, 0.999, 1e-8)
        for (decay, decoupled) in [(Float(0), false), (0.05, false), (0.05, true)] {
            let parameter = Parameter(name: "w", value: randomTensor([count], seed: 21))
            let optimizer =
                decoupled
                ? AdamW(parameters: [parameter], weightDecay: decay) : Adam(parameters: [parameter], weightDecay: decay)
            var theta = parameter.value.data
            var (m, v) = ([Float](repeating: 0, count: count), [Float](repeating: 0, count: count))
            for step in 1...3 {
                let grad = randomTensor([count], seed: 30 + UInt64(step)).data
                parameter.grad.data = grad
                optimizer.step(learningRate: learningRate)
                let t = Double(step)
                let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
                let correction = Float((1 - pow(Double(beta2), t)).squareRoot())
                for j in 0..<count {
                    let g = decoupled ? grad[j] : grad[j] + decay * theta[j]
                    theta[j] *= decoupled ? 1 - learningRate * decay : 1
                    m[j] = beta1 * m[j] + (1 - beta1) * g
                    v[j] = beta2 * v[j] + (1 - beta2) * g * g
                    theta[j] -= stepSize * m[j] / (v[j].squareRoot() / correction + eps)
                }
                XCTAssertEqual(
                    parameter.value.data.map(\.bitPattern), theta.map(\.bitPattern),
                    "decay \(decay), decoupled \(decoupled), step \(step)")
            }
        }
    }

    func testStateNames() {
        let parameters = [
            Parameter(name: "weight", value: Tensor(shape: [2, 3])), Parameter(name: "bias", value: Tensor(shape: [2])),
        ]
        XCTAssertEqual(SGD(parameters: parameters).stateTensors().map(\.name), ["step"])
        XCTAssertEqual(
            SGD(parameters: parameters, momentum: 0.9).stateTensors().map(\.name),
            ["step", "0.momentum_buffer", "1.momentum_buffer"])
        let adam = AdamW(parameters: parameters).stateTensors()
        XCTAssertEqual(adam.map(\.name), ["step", "0.exp_avg", "0.exp_avg_sq", "1.exp_avg", "1.exp_avg_sq"])
        XCTAssertEqual(adam.map(\.tensor.shape), [[1], [2, 3], [2, 3], [2], [2]])
    }

    func testLoadStateRejectsBadStateAndChangesNothing() throws {
        let parameters = [Parameter(name: "weight", value: Tensor(shape: [2, 3]))]
        let adam = Adam(parameters: parameters)
        parameters[0].grad.fill(1)
        adam.step(learningRate: 0.1)
        let good = Dictionary(uniqueKeysWithValues: adam.stateTensors().map { ($0.name, $0.tensor) })

        func expectError(_ state: [String: Tensor], mentioning text: String, line: UInt = #line) {
            XCTAssertThrowsError(try adam.loadState(state), line: line) { error in
                XCTAssertTrue("\(error)".contains(text), "'\(error)' should mention \(text)", line: line)
            }
        }
        var missing = good
        missing["0.exp_avg_sq"] = nil
        expectError(missing, mentioning: "missing '0.exp_avg_sq'")
        var misshapen = good
        misshapen["0.exp_avg"] = Tensor(shape: [3, 2])
        expectError(misshapen, mentioning: "'0.exp_avg' has shape [3, 2], parameter 0 has shape [2, 3]")
        var extra = good
        extra["1.exp_avg"] = Tensor(shape: [1])
        expectError(extra, mentioning: "unexpected '1.exp_avg'")
        var badStep = good
        badStep["step"] = Tensor(shape: [1], value: 2.5)
        badStep["0.exp_avg"] = Tensor(shape: [2, 3], value: 7)
        expectError(badStep, mentioning: "'step'")

        let after = Dictionary(uniqueKeysWithValues: adam.stateTensors().map { ($0.name, $0.tensor.data) })
        XCTAssertEqual(after, good.mapValues(\.data), "a rejected state leaves the optimizer unchanged")
    }
}
