import NN
import TestSupport
import XCTest

/// The feature losses against PyTorch (fixtures_features.py): the FitNets hint through each
/// regressor (value, dL/ds, dL/d regressor weights) and attention transfer with and without
/// adaptive pooling (value, dL/ds).
final class FeatureLossTests: XCTestCase {
    /// Runs `regressor` (nil: none) on the fixture's s, the hint loss against t and back; compares
    /// the loss, dL/ds and every regressor gradient.
    private func checkHint(_ name: String, _ regressor: Layer?) throws {
        let fixture = try Fixture("hint_\(name)")
        let s = try fixture.tensor("s")
        for (key, p) in regressor?.namedParameters ?? [] { try load(p.value, from: fixture, "init.\(key)") }
        let r = regressor?.forward(s, training: true) ?? s
        let gradient = Tensor(shape: [0])
        let loss = hintLoss(regressed: r, teacher: try fixture.tensor("t"), gradient: gradient)
        let ds = regressor?.backward(gradient) ?? gradient
        assertMatches([loss], try fixture.tensor("loss").data, "hint \(name)/loss")
        assertMatches(ds, try fixture.tensor("grad_s"), "hint \(name)/grad_s")
        for (key, p) in regressor?.namedParameters ?? [] {
            assertMatches(p.grad, try fixture.tensor("grad.\(key)"), "hint \(name)/grad.\(key)")
        }
    }

    func testHintConv1x1() throws { try checkHint("conv1x1", Conv2d(inChannels: 3, outChannels: 6, kernelSize: 1)) }
    func testHintConv3x3() throws {
        try checkHint("conv3x3", Conv2d(inChannels: 3, outChannels: 2, kernelSize: 3, padding: 1))
    }
    func testHintLinear() throws { try checkHint("linear", Dense(inFeatures: 7, outFeatures: 9)) }
    func testHintNone() throws { try checkHint("none", nil) }

    /// Attention transfer on the fixture's s and t: loss and dL/ds, and the weight scaling the
    /// gradient alone.
    private func checkAttention(_ name: String) throws {
        let fixture = try Fixture("attention_\(name)")
        let (s, t) = (try fixture.tensor("s"), try fixture.tensor("t"))
        let at = try AttentionTransfer(student: Array(s.shape.dropFirst()), teacher: Array(t.shape.dropFirst()))
        let gradient = Tensor(shape: [0])
        let loss = at.loss(student: s, teacher: t, gradient: gradient)
        assertMatches([loss], try fixture.tensor("loss").data, "attention \(name)/loss")
        assertMatches(gradient, try fixture.tensor("grad_s"), "attention \(name)/grad_s")
        let weighted = Tensor(shape: [0])
        XCTAssertEqual(at.loss(student: s, teacher: t, weight: 3, gradient: weighted), loss)
        for (a, b) in zip(weighted.data, gradient.data) { XCTAssertEqual(a, 3 * b, accuracy: 1e-6 * max(1, abs(a))) }
    }

    func testAttentionSameSize() throws { try checkAttention("same") }
    func testAttentionStudentPooled() throws { try checkAttention("student_larger") }
    func testAttentionTeacherPooled() throws { try checkAttention("teacher_larger") }
    func testAttentionZeroFeature() throws { try checkAttention("zero") }

    func testAttentionRefusesFlatFeatures() {
        XCTAssertThrowsError(try AttentionTransfer(student: [16], teacher: [8, 2, 2]))
    }
}
