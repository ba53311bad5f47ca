import NN
import TestSupport
import XCTest

/// A parameter holder standing in for the real layers (not in this branch): `initialize`
/// dispatches only on `kind` and the parameter and buffer names.
private final class StubLayer: Layer {
    let kind: String
    let parameters: [Parameter]
    let buffers: [Buffer]

    init(_ kind: String, parameters: [String: [Int]] = [:], buffers: [String] = [], features: Int = 0) {
        self.kind = kind
        self.parameters = parameters.keys.sorted(by: >).map {  // "weight" before "bias"
            Parameter(name: $0, value: Tensor(shape: parameters[$0]!, value: .nan))
        }
        self.buffers = buffers.map { Buffer(name: $0, value: Tensor(shape: [features], value: .nan)) }
    }

    func outputShape(for inputShape: [Int]) throws -> [Int] { inputShape }
    func forward(_ x: Tensor, training: Bool) -> Tensor { x }
    func backward(_ dy: Tensor) -> Tensor { dy }
}

final class WeightInitTests: XCTestCase {
    private func linear(_ out: Int, _ inputs: Int) -> StubLayer {
        StubLayer("Linear", parameters: ["weight": [out, inputs], "bias": [out]])
    }

    private func conv(_ out: Int, _ inputs: Int, _ k: Int) -> StubLayer {
        StubLayer("Conv2d", parameters: ["weight": [out, inputs, k, k], "bias": [out]])
    }

    private func model(_ layers: [Layer], seed: UInt64, scheme: WeightInit) throws -> Sequential {
        let model = try Sequential(layers, inputShape: [1])
        var rng = SplitMix64(seed: seed)
        try initialize(model, scheme: scheme, rng: &rng)
        return model
    }

    /// Mean and variance in Double.
    private func moments(_ values: [Float]) -> (mean: Double, variance: Double) {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
        return (mean, variance)
    }

    /// U(−b, b), b = 1/√fan_in: inside the bound, mean 0 and variance b²/3. Statistical
    /// tolerances: the variance of n uniform draws has relative standard error √(0.8/n)
    /// (0.25% for the 131072 Linear weights, 0.93% for the 9216 conv weights); we allow ≥ 5σ.
    func testDefaultLinearAndConvUniformBounds() throws {
        let m = try model([linear(256, 512), conv(64, 16, 3)], seed: 1, scheme: .pytorchDefault)
        for (key, fanIn, relativeTolerance) in [("0", 512, 0.015), ("1", 144, 0.05)] {
            let bound = 1 / Float(fanIn).squareRoot()
            let parameters = Dictionary(
                uniqueKeysWithValues: m.namedParameters.map { ($0.key, $0.parameter.value.data) })
            let weight = parameters["\(key).weight"]!
            let bias = parameters["\(key).bias"]!
            XCTAssertTrue(weight.allSatisfy { abs($0) <= bound }, "\(key).weight inside ±\(bound)")
            XCTAssertTrue(bias.allSatisfy { abs($0) <= bound }, "\(key).bias inside ±\(bound)")
            XCTAssertGreaterThan(bias.map(abs).max()!, 0.8 * bound, "\(key).bias spans its range")
            let (mean, variance) = moments(weight)
            let expected = Double(bound * bound) / 3
            XCTAssertEqual(
                variance / expected, 1, accuracy: relativeTolerance, "\(key).weight variance \(variance) vs \(expected)"
            )
            XCTAssertEqual(
                mean, 0, accuracy: 5 * expected.squareRoot() / Double(weight.count).squareRoot(), "\(key).weight mean")
        }
    }

    func testBatchNormValuesAreExact() throws {
        let bn = StubLayer(
            "BatchNorm2d", parameters: ["weight": [8], "bias": [8]],
            buffers: ["running_mean", "running_var", "num_batches_tracked"], features: 8)
        for scheme in WeightInit.allCases {
            let m = try model([bn], seed: 3, scheme: scheme)
            let state = Dictionary(uniqueKeysWithValues: m.stateDict.map { ($0.key, $0.value.data) })
            XCTAssertEqual(state["0.weight"], Array(repeating: 1, count: 8), "\(scheme)")
            XCTAssertEqual(state["0.bias"], Array(repeating: 0, count: 8), "\(scheme)")
            XCTAssertEqual(state["0.running_mean"], Array(repeating: 0, count: 8), "\(scheme)")
            XCTAssertEqual(state["0.running_var"], Array(repeating: 1, count: 8), "\(scheme)")
            XCTAssertEqual(state["0.num_batches_tracked"], Array(repeating: 0, count: 8), "\(scheme)")
        }
    }

    /// W·Wᵀ = I for wide weights (rows ≤ cols), Wᵀ·W = I for tall ones, conv flattened to [out, fan_in].
    func testOrthogonalGivesOrthonormalRowsOrColumns() throws {
        let m = try model(
            [linear(20, 50), linear(50, 20), conv(8, 4, 3), linear(16, 16)], seed: 11, scheme: .orthogonal)
        for (key, parameter) in m.namedParameters where key.hasSuffix("weight") {
            let rows = parameter.value.batch
            let cols = parameter.value.featuresPerItem
            let w = parameter.value.data
            // Gram matrix of the shorter side: rows of W when rows ≤ cols, else its columns.
            let (n, length) = rows <= cols ? (rows, cols) : (cols, rows)
            let element: (Int, Int) -> Float = rows <= cols ? { i, k in w[i * cols + k] } : { i, k in w[k * cols + i] }
            var gram = [Float](repeating: 0, count: n * n)
            var identity = [Float](repeating: 0, count: n * n)
            for i in 0..<n {
                identity[i * n + i] = 1
                for j in 0..<n {
                    gram[i * n + j] = Float(
                        (0..<length).reduce(0.0) { $0 + Double(element(i, $1)) * Double(element(j, $1)) })
                }
            }
            assertMatches(gram, identity, tolerance: 1e-5, "orthogonal \(key) [\(rows), \(cols)] Gram")
        }
        let bias = m.namedParameters.first { $0.key == "0.bias" }!.parameter.value.data
        XCTAssertTrue(
            bias.allSatisfy { abs($0) <= 1 / Float(50).squareRoot() }, "orthogonal scheme keeps the default bias")
    }

    func testSameSeedSameBits() throws {
        for scheme in WeightInit.allCases {
            let layers = { [self.linear(30, 12), self.conv(6, 3, 3)] }
            let a = try model(layers(), seed: 42, scheme: scheme).stateDict.map(\.value.data)
            let b = try model(layers(), seed: 42, scheme: scheme).stateDict.map(\.value.data)
            let c = try model(layers(), seed: 43, scheme: scheme).stateDict.map(\.value.data)
            XCTAssertEqual(
                a.map { $0.map(\.bitPattern) }, b.map { $0.map(\.bitPattern) }, "\(scheme): same seed, same bits")
            XCTAssertNotEqual(a, c, "\(scheme): another seed, other values")
        }
    }

    func testLayerWithoutRuleThrows() throws {
        let layer = StubLayer("LayerNorm", parameters: ["weight": [4]])
        let m = try Sequential([StubLayer("ReLU"), layer], inputShape: [4])
        var rng = SplitMix64(seed: 0)
        XCTAssertThrowsError(try initialize(m, scheme: .pytorchDefault, rng: &rng)) { error in
            XCTAssertEqual("\(error)", "layer 1 (LayerNorm): no initialisation rule for this layer kind")
        }
        XCTAssertEqual(WeightInit(rawValue: "default"), .pytorchDefault)
    }
}
