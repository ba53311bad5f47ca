import NN
import TestSupport
import XCTest

/// Copies fixture tensor `key` into `target`, failing (not resizing) on a shape mismatch.
func load(_ target: Tensor, from fixture: Fixture, _ key: String, file: StaticString = #filePath, line: UInt = #line)
    throws
{
    let source = try fixture.tensor(key)
    XCTAssertEqual(target.shape, source.shape, "\(fixture.name): shape of \(key)", file: file, line: line)
    guard target.shape == source.shape else { return }
    target.copy(from: source)
}

/// Loads the layer's parameters from fixture `name` (keys "weight", "bias"; a block's
/// "body.0.weight", ...), runs x forward in
/// the given mode and dy backward, and compares y, dx and every "grad.<name>" with PyTorch.
/// Also checks that the fixture has exactly the layer's parameters and that `outputShape`
/// predicts PyTorch's per-sample output shape. Returns the fixture for further checks.
@discardableResult
func assertLayerMatchesFixture(
    _ layer: Layer, _ name: String, training: Bool = true, label: String? = nil,
    file: StaticString = #filePath, line: UInt = #line
) throws -> Fixture {
    let fixture = try Fixture(name)
    let label = label ?? name
    let expectedParameters = fixture.file.names.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) }
    XCTAssertEqual(
        layer.namedParameters.map(\.key).sorted(), expectedParameters.sorted(), "\(label): parameters",
        file: file, line: line)
    for (key, p) in layer.namedParameters {
        try load(p.value, from: fixture, key, file: file, line: line)
        p.zeroGrad()
    }
    let x = try fixture.tensor("x")
    let expectedY = try fixture.tensor("y")
    XCTAssertEqual(
        try layer.outputShape(for: Array(x.shape.dropFirst())), Array(expectedY.shape.dropFirst()),
        "\(label): outputShape", file: file, line: line)
    let y = layer.forward(x, training: training)
    assertMatches(y, expectedY, "\(label)/y", file: file, line: line)
    let dx = layer.backward(try fixture.tensor("dy"))
    assertMatches(dx, try fixture.tensor("dx"), "\(label)/dx", file: file, line: line)
    for (key, p) in layer.namedParameters {
        assertMatches(p.grad, try fixture.tensor("grad.\(key)"), "\(label)/d\(key)", file: file, line: line)
    }
    return fixture
}

/// A tensor of `shape` with uniform values in [-1, 1) from `seed`.
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var rng = SplitMix64(seed: seed)
    return Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.uniform(-1, 1) })
}

/// Sets every parameter of `layer` to uniform values in [-scale, scale) from `seed`.
func randomizeParameters(_ layer: Layer, seed: UInt64, scale: Float = 0.5) {
    var rng = SplitMix64(seed: seed)
    for p in layer.parameters {
        for i in 0..<p.value.count { p.value.data[i] = rng.uniform(-scale, scale) }
    }
}

/// Asserts that `body` throws a ShapeError whose message contains every one of `fragments`.
func assertShapeError(
    _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> Any
) {
    do {
        _ = try body()
        XCTFail("expected a ShapeError mentioning \(fragments)", file: file, line: line)
    } catch let error as ShapeError {
        for fragment in fragments {
            XCTAssertTrue(
                error.description.contains(fragment), "'\(error.description)' lacks '\(fragment)'",
                file: file, line: line)
        }
    } catch {
        XCTFail("expected a ShapeError, got \(error)", file: file, line: line)
    }
}
