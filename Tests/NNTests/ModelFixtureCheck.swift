import NN
import TestSupport
import XCTest

/// Loads the state_dict of fixture `name` (sd.<key>, written by fixtures_layers.save_model) into
/// `model`, runs x forward (training or eval mode) and dy backward, and compares the state_dict
/// keys, the output ("logits"), dx, every parameter gradient and the buffers after the forward.
///
/// `zeroGradientKeys`: parameters whose exact gradient is 0 (a conv bias feeding a train-mode
/// BatchNorm, which subtracts the channel mean); both sides hold only rounding noise (~1e-7), so
/// they are checked absolutely instead of relative to that noise.
func assertModelMatchesFixture(
    _ model: Sequential, _ name: String, training: Bool = true, zeroGradientKeys: Set<String> = [],
    file: StaticString = #filePath, line: UInt = #line
) throws {
    let fixture = try Fixture(name)
    XCTAssertEqual(model.inputShape, try fixture.meta("input_shape", as: [Int].self), file: file, line: line)
    let keys = try fixture.meta("state_dict_keys", as: [String].self)
    XCTAssertEqual(model.stateDict.map(\.key), keys, "\(name): state_dict keys", file: file, line: line)
    for entry in model.stateDict { try load(entry.value, from: fixture, "sd.\(entry.key)", file: file, line: line) }
    let gradKeys = fixture.file.names.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) }
    XCTAssertEqual(model.namedParameters.map(\.key).sorted(), gradKeys.sorted(), file: file, line: line)
    let expectedCount = try gradKeys.reduce(0) { $0 + (try fixture.tensor("grad.\($1)")).count }
    XCTAssertEqual(model.parameterCount, expectedCount, file: file, line: line)

    model.zeroGrad()
    let logits = model.forward(try fixture.tensor("x"), training: training)
    assertMatches(logits, try fixture.tensor("logits"), "\(name)/logits", file: file, line: line)
    let dx = model.backward(try fixture.tensor("dy"))
    assertMatches(dx, try fixture.tensor("dx"), "\(name)/dx", file: file, line: line)
    for (key, p) in model.namedParameters where zeroGradientKeys.contains(key) {
        let pytorch = try fixture.tensor("grad.\(key)").data
        XCTAssertLessThan(
            (p.grad.data + pytorch).map(abs).max() ?? 1, 1e-5, "\(name)/d\(key) should be ~0", file: file, line: line)
    }
    for (key, p) in model.namedParameters where !zeroGradientKeys.contains(key) {
        assertMatches(p.grad, try fixture.tensor("grad.\(key)"), "\(name)/d\(key)", file: file, line: line)
    }
    for entry in model.stateDict where entry.key.contains("running") || entry.key.contains("num_batches") {
        assertMatches(
            entry.value, try fixture.tensor("after.\(entry.key)"), "\(name)/after \(entry.key)", file: file, line: line)
    }
}

/// torch_kd.py's `Block(cin, cout, stride)` on a per-sample input [cin, size, size]: body
/// conv3x3(stride) BN ReLU conv3x3 BN (convs without bias); shortcut the identity when the
/// shape is kept, else conv1x1(stride) then BN (`projectionBatchNorm`); the final ReLU when `relu`.
func resnetBlock(
    _ cin: Int, _ cout: Int, stride: Int, size: Int, projectionBatchNorm: Bool = true, relu: Bool = true
) throws -> Residual {
    let shape = [cin, size, size]
    let body = try Sequential(
        [
            Conv2d(inChannels: cin, outChannels: cout, kernelSize: 3, stride: stride, padding: 1, bias: false),
            BatchNorm2d(numFeatures: cout), ReLU(),
            Conv2d(inChannels: cout, outChannels: cout, kernelSize: 3, padding: 1, bias: false),
            BatchNorm2d(numFeatures: cout),
        ],
        inputShape: shape)
    var shortcut: Sequential?
    if stride != 1 || cin != cout {
        let conv = Conv2d(inChannels: cin, outChannels: cout, kernelSize: 1, stride: stride, bias: false)
        shortcut = try Sequential(
            [conv] + (projectionBatchNorm ? [BatchNorm2d(numFeatures: cout)] : []), inputShape: shape)
    }
    return try Residual(body: body, shortcut: shortcut, relu: relu)
}
