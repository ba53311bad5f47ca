import NN
import TestSupport
import XCTest

/// Softmax, cross-entropy, divergences and the KD loss against PyTorch autograd (fixture
/// "losses", references computed in float64 from the same float32 inputs).
final class LossTests: XCTestCase {
    private var fixture: Fixture!
    private var labels: [Int32] = []

    override func setUpWithError() throws {
        fixture = try Fixture("losses")
        labels = try fixture.ints("y").map { Int32($0) }
    }

    private func tensor(_ key: String) throws -> Tensor { try fixture.tensor(key) }
    private func scalar(_ key: String) throws -> Float { try fixture.tensor(key).data[0] }

    func testSoftmaxLogSoftmaxAndSoftTargets() throws {
        let s = try tensor("s")
        let out = Tensor(shape: [1])
        for T: Float in [1, 2, 4] {
            softmax(s, temperature: T, into: out)
            assertMatches(out, try tensor("softmax_T\(T.key)"), "softmax T=\(T.key)")
            logSoftmax(s, temperature: T, into: out)
            assertMatches(out, try tensor("log_softmax_T\(T.key)"), "logSoftmax T=\(T.key)")
            softTargets(teacherLogits: try tensor("t"), temperature: T, into: out)
            assertMatches(out, try tensor("p_soft_T\(T.key)"), "softTargets T=\(T.key)")
        }
    }

    func testCrossEntropyWithAndWithoutLabelSmoothing() throws {
        let gradient = Tensor(shape: [1])
        for (name, logits) in [("", "s"), ("ext_", "s_ext")] {
            for smoothing: Float in [0, 0.1] {
                let key = "ce_\(name)ls\(smoothing.key)"
                let loss = crossEntropy(
                    logits: try tensor(logits), labels: labels, labelSmoothing: smoothing, gradient: gradient)
                assertMatches([loss], [try scalar(key)], "crossEntropy \(key)")
                assertMatches(gradient, try tensor(key + "_grad"), "crossEntropy \(key) grad")
                let valueOnly = crossEntropy(
                    logits: try tensor(logits), labels: labels, labelSmoothing: smoothing, gradient: nil)
                XCTAssertEqual(valueOnly, loss, "\(key): the value does not depend on asking for the gradient")
            }
        }
    }

    /// Each divergence at T = 1, 2, 4 for a softmax target, a target with exact zeros, and
    /// saturated (±1e4) logits with a target of exact zeros and ones.
    func testDivergencesMatchAutograd() throws {
        let gradient = Tensor(shape: [1])
        for kind in Divergence.allCases {
            for T: Float in [1, 2, 4] {
                for (name, logits) in [("soft", "s"), ("zero", "s"), ("ext", "s_ext")] {
                    let target = name == "zero" ? try tensor("p_zero") : try tensor("p_\(name)_T\(T.key)")
                    let key = "\(kind.rawValue)_\(name)_T\(T.key)"
                    let value = divergence(
                        kind, target: target, studentLogits: try tensor(logits), temperature: T, gradient: gradient)
                    assertMatches([value], [try scalar(key)], key)
                    assertMatches(gradient, try tensor(key + "_grad"), key + " grad")
                }
            }
        }
    }

    /// KL(p‖q) and KL(q‖p) on the same inputs: both match PyTorch and they differ.
    func testKLIsAsymmetric() throws {
        let p = try tensor("p_soft_T1")
        let s = try tensor("s")
        let forward = divergence(.kl, target: p, studentLogits: s, temperature: 1, gradient: nil)
        let reverse = divergence(.reverseKL, target: p, studentLogits: s, temperature: 1, gradient: nil)
        assertMatches([forward], [try scalar("kl_soft_T1")], "KL(p||q)")
        assertMatches([reverse], [try scalar("reverse_kl_soft_T1")], "KL(q||p)")
        print("KL(p||q) = \(forward), KL(q||p) = \(reverse)")
        XCTAssertGreaterThan(
            abs(forward - reverse), 0.1 * max(forward, reverse), "KL(p||q) = \(forward), KL(q||p) = \(reverse)")
        XCTAssertEqual(Divergence(rawValue: "reverse_kl"), .reverseKL)
    }

    func testDistillationLossMatchesAutograd() throws {
        let s = try tensor("s")
        let gradient = Tensor(shape: [3, 3], value: .nan)  // wrong shape and garbage: must be overwritten
        for T: Float in [1, 4, 20] {
            let target = try tensor("p_kd_T\(T.key)")
            for alpha: Float in [0, 0.5, 1] {
                for smoothing: Float in [0, 0.1] {
                    let key = "kd_T\(T.key)_a\(alpha.key)_ls\(smoothing.key)"
                    let loss = distillationLoss(
                        studentLogits: s, teacherTarget: target, labels: labels, temperature: T, alpha: alpha,
                        labelSmoothing: smoothing, gradient: gradient)
                    assertMatches(
                        [loss.total, loss.soft, loss.hard], try tensor(key).data, key + " (total, soft, hard)")
                    assertMatches(gradient, try tensor(key + "_grad"), key + " grad")
                }
            }
        }
    }

    /// The documented KD gradient for KL, written out: alpha·T·(q_T − p)/B + (1−alpha)·(q − onehot)/B.
    func testDistillationGradientFormula() throws {
        let s = try tensor("s")
        let p = try tensor("p_kd_T4")
        let (T, alpha): (Float, Float) = (4, 0.3)
        let gradient = Tensor(shape: [1])
        _ = distillationLoss(
            studentLogits: s, teacherTarget: p, labels: labels, temperature: T, alpha: alpha, gradient: gradient)
        let qT = Tensor(shape: [1])
        let q = Tensor(shape: [1])
        softmax(s, temperature: T, into: qT)
        softmax(s, into: q)
        let (B, K) = (s.shape[0], s.shape[1])
        var expected = [Float](repeating: 0, count: B * K)
        for b in 0..<B {
            for k in 0..<K {
                let i = b * K + k
                let onehot: Float = k == labels[b] ? 1 : 0
                expected[i] = (alpha * T * (qT.data[i] - p.data[i]) + (1 - alpha) * (q.data[i] - onehot)) / Float(B)
            }
        }
        assertMatches(gradient.data, expected, "KD gradient formula T=4 alpha=0.3")
    }

    /// Logits of ±1e4 (student and teacher) keep every loss, divergence and gradient finite.
    func testExtremeLogitsStayFinite() throws {
        let s = try tensor("s_ext")
        let teacher = try tensor("t_ext")
        let p = Tensor(shape: [1])
        let gradient = Tensor(shape: [1])
        for T: Float in [1, 4, 20] {
            softTargets(teacherLogits: teacher, temperature: T, into: p)
            XCTAssertTrue(p.data.allSatisfy(\.isFinite), "soft targets T=\(T)")
            XCTAssertTrue(p.data.contains(0), "T=\(T): the target really has zeros")
            for kind in Divergence.allCases {
                let loss = distillationLoss(
                    studentLogits: s, teacherTarget: p, labels: labels, temperature: T, alpha: 0.5,
                    divergence: kind, labelSmoothing: 0.1, gradient: gradient)
                XCTAssertTrue([loss.total, loss.soft, loss.hard].allSatisfy(\.isFinite), "\(kind) T=\(T): \(loss)")
                XCTAssertGreaterThan(loss.total, 0, "\(kind) T=\(T)")
                XCTAssertTrue(gradient.data.allSatisfy(\.isFinite), "\(kind) T=\(T) gradient")
            }
        }
        logSoftmax(s, into: p)
        XCTAssertTrue(p.data.allSatisfy(\.isFinite), "log-softmax of ±1e4 stays finite: \(p)")
        // A logit 2e4 below the row maximum: log q = −2e4 − log(number of tied maxima ≤ K = 7).
        XCTAssertEqual(
            p.data.min()!, -20_000 - log(7) / 2, accuracy: log(7) / 2, "log q of a logit 2e4 below the maximum")
    }
}

extension Float {
    /// The fixture generator's `f"{x:g}"` spelling: 1, 0.5, 0.1, 20.
    var key: String { self == rounded() ? String(Int(self)) : String(self) }
}
