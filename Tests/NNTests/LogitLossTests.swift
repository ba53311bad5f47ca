import NN
import TestSupport
import XCTest

/// DKD, DIST and logit standardisation against PyTorch autograd (fixture "logit_losses", torch
/// 2.15.0, float64 references from the same float32 inputs): values to 1e-6 relative and
/// gradients to 1e-5 (relative to the reference's largest entry), finite differences beside.
final class LogitLossTests: XCTestCase {
    private let valueTolerance: Float = 1e-6
    private let gradientTolerance: Float = 1e-5
    private var fixture: Fixture!
    private var labels: [Int32] = []

    override func setUpWithError() throws {
        fixture = try Fixture("logit_losses")
        labels = try fixture.ints("y").map { Int32($0) }
    }

    private func tensor(_ key: String) throws -> Tensor { try fixture.tensor(key) }

    func testDecoupledKDMatchesAutograd() throws {
        let gradient = Tensor(shape: [3, 3], value: .nan)  // wrong shape and garbage: must be overwritten
        for (name, logits) in [("", "s"), ("wide_", "s_wide")] {
            for T: Float in [1, 4] {
                for (alpha, beta): (Float, Float) in [(1, 8), (0.5, 2)] {
                    let key = "dkd_\(name)T\(T.key)_a\(alpha.key)_b\(beta.key)"
                    let value = decoupledKDLoss(
                        studentLogits: try tensor(logits), teacherLogits: try tensor("t"), labels: labels,
                        temperature: T, alpha: alpha, beta: beta, gradient: gradient)
                    assertMatches(
                        [value.total, value.targetClass, value.nonTargetClass], try tensor(key).data,
                        tolerance: valueTolerance, key + " (total, tckd, nckd)")
                    assertMatches(gradient, try tensor(key + "_grad"), tolerance: gradientTolerance, key + " grad")
                    let valueOnly = decoupledKDLoss(
                        studentLogits: try tensor(logits), teacherLogits: try tensor("t"), labels: labels,
                        temperature: T, alpha: alpha, beta: beta, gradient: nil)
                    XCTAssertEqual(valueOnly, value, "\(key): the value does not depend on asking for the gradient")
                }
            }
        }
    }

    /// Each term alone (beta or gamma 0) so the batch-coupled intra term's gradient is checked by itself.
    func testDISTMatchesAutogradIncludingTheBatchTerm() throws {
        let gradient = Tensor(shape: [1])
        let scratch = DISTScratch()
        for tau: Float in [1, 4] {
            for (beta, gamma): (Float, Float) in [(1, 1), (1, 0), (0, 1), (2, 0.5)] {
                let key = "dist_tau\(tau.key)_b\(beta.key)_g\(gamma.key)"
                let value = distLoss(
                    studentLogits: try tensor("s"), teacherLogits: try tensor("t"), tau: tau, beta: beta,
                    gamma: gamma, scratch: scratch, gradient: gradient)
                assertMatches(
                    [value.total, value.inter, value.intra], try tensor(key).data, tolerance: valueTolerance,
                    key + " (total, inter, intra)")
                assertMatches(gradient, try tensor(key + "_grad"), tolerance: gradientTolerance, key + " grad")
            }
        }
    }

    func testStandardizationAndItsJacobian() throws {
        let s = try tensor("s")
        let z = Tensor(shape: [1])
        standardizeLogits(s, into: z)
        assertMatches(z, try tensor("std_s"), tolerance: valueTolerance, "standardizeLogits s")
        standardizeLogits(try tensor("t"), into: z)
        assertMatches(z, try tensor("std_t"), tolerance: valueTolerance, "standardizeLogits t")
        let dz = Tensor(shape: [1])
        standardizeLogitsBackward(logits: s, outputGradient: try tensor("w"), into: dz)
        assertMatches(dz, try tensor("std_vjp"), tolerance: gradientTolerance, "standardizeLogitsBackward VJP")
    }

    /// KD and DKD on standardised teacher and student logits, the student's gradient through the
    /// Jacobian (the standardised logits are rounded to Float between the two steps; torch keeps
    /// float64 throughout, and the tolerances still hold).
    func testStandardizedKDAndDKDMatchAutograd() throws {
        let (s, t) = (try tensor("s"), try tensor("t"))
        let (zs, zt, p, dz, gradient) = (
            Tensor(shape: [1]), Tensor(shape: [1]), Tensor(shape: [1]), Tensor(shape: [1]), Tensor(shape: [1])
        )
        standardizeLogits(s, into: zs)
        standardizeLogits(t, into: zt)
        softTargets(teacherLogits: zt, temperature: 4, into: p)
        let kd = distillationLoss(
            studentLogits: zs, teacherTarget: p, labels: labels, temperature: 4, alpha: 1, gradient: dz)
        standardizeLogitsBackward(logits: s, outputGradient: dz, into: gradient)
        assertMatches([kd.total], try tensor("std_kd_T4").data, tolerance: valueTolerance, "standardised KD T=4")
        assertMatches(gradient, try tensor("std_kd_T4_grad"), tolerance: gradientTolerance, "standardised KD grad")
        let dkd = decoupledKDLoss(
            studentLogits: zs, teacherLogits: zt, labels: labels, temperature: 4, gradient: dz)
        standardizeLogitsBackward(logits: s, outputGradient: dz, into: gradient)
        assertMatches([dkd.total], try tensor("std_dkd_T4").data, tolerance: valueTolerance, "standardised DKD T=4")
        assertMatches(gradient, try tensor("std_dkd_T4_grad"), tolerance: gradientTolerance, "standardised DKD grad")
    }
}
