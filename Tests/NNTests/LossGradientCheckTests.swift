import NN
import TestSupport
import XCTest

/// Finite differences as a second oracle for every loss gradient.
///
/// Tolerance 1e-3 (relative to the largest gradient entry), wider than the fixtures' 1e-4:
/// the losses return Float, so a central difference carries about ulp(loss)/h of rounding
/// (≈ 6e-8·loss / 1e-2) plus O(h²) truncation: up to ≈ 2e-4 relative here (measured), so the
/// fixtures' 1e-4 is out of reach for this oracle.
final class LossGradientCheckTests: XCTestCase {
    private let tolerance: Float = 1e-3
    private let h: Float = 1e-2

    private func check(_ label: String, logits: Tensor, _ loss: (Tensor, Tensor?) -> Float) {
        let analytic = Tensor(shape: [1])
        _ = loss(logits, analytic)
        var numeric = [Float](repeating: 0, count: logits.count)
        let probe = logits.clone()
        for i in 0..<logits.count {
            probe.data[i] = logits.data[i] + h
            let up = loss(probe, nil)
            probe.data[i] = logits.data[i] - h
            let down = loss(probe, nil)
            probe.data[i] = logits.data[i]
            numeric[i] = (up - down) / (2 * h)
        }
        assertMatches(analytic.data, numeric, tolerance: tolerance, "finite differences: \(label)")
    }

    private func inputs() throws -> (s: Tensor, t: Tensor, labels: [Int32]) {
        let fixture = try Fixture("losses")
        return (try fixture.tensor("s"), try fixture.tensor("t"), try fixture.ints("y").map { Int32($0) })
    }

    func testCrossEntropy() throws {
        let (s, _, labels) = try inputs()
        for smoothing: Float in [0, 0.1] {
            check("crossEntropy ls=\(smoothing)", logits: s) {
                crossEntropy(logits: $0, labels: labels, labelSmoothing: smoothing, gradient: $1)
            }
        }
    }

    func testDivergences() throws {
        let (s, t, _) = try inputs()
        let p = Tensor(shape: [1])
        for kind in Divergence.allCases {
            for T: Float in [1, 3] {
                softTargets(teacherLogits: t, temperature: T, into: p)
                check("\(kind.rawValue) T=\(T)", logits: s) {
                    divergence(kind, target: p, studentLogits: $0, temperature: T, gradient: $1)
                }
            }
        }
    }

    func testDistillationLoss() throws {
        let (s, t, labels) = try inputs()
        let p = Tensor(shape: [1])
        for kind in Divergence.allCases {
            for (T, alpha): (Float, Float) in [(1, 0.5), (4, 0.9), (20, 0.5)] {
                softTargets(teacherLogits: t, temperature: T, into: p)
                check("KD \(kind.rawValue) T=\(T) alpha=\(alpha)", logits: s) {
                    distillationLoss(
                        studentLogits: $0, teacherTarget: p, labels: labels, temperature: T, alpha: alpha,
                        divergence: kind, labelSmoothing: 0.1, gradient: $1
                    ).total
                }
            }
        }
    }

    func testDecoupledKD() throws {
        let (s, t, labels) = try inputs()
        for (T, alpha, beta): (Float, Float, Float) in [(1, 1, 8), (4, 0.5, 2)] {
            check("DKD T=\(T) alpha=\(alpha) beta=\(beta)", logits: s) {
                decoupledKDLoss(
                    studentLogits: $0, teacherLogits: t, labels: labels, temperature: T, alpha: alpha, beta: beta,
                    gradient: $1
                ).total
            }
        }
    }

    /// beta = 0 leaves the batch-coupled intra term alone.
    func testDIST() throws {
        let (s, t, _) = try inputs()
        let scratch = DISTScratch()
        for (tau, beta, gamma): (Float, Float, Float) in [(1, 1, 1), (4, 0, 1), (4, 1, 0)] {
            check("DIST tau=\(tau) beta=\(beta) gamma=\(gamma)", logits: s) {
                distLoss(
                    studentLogits: $0, teacherLogits: t, tau: tau, beta: beta, gamma: gamma, scratch: scratch,
                    gradient: $1
                ).total
            }
        }
    }

    /// KD (KL, T = 4) on standardised logits, the gradient through the standardisation's Jacobian.
    func testStandardizedKD() throws {
        let (s, t, labels) = try inputs()
        let (zs, zt, p, dz) = (Tensor(shape: [1]), Tensor(shape: [1]), Tensor(shape: [1]), Tensor(shape: [1]))
        standardizeLogits(t, into: zt)
        softTargets(teacherLogits: zt, temperature: 4, into: p)
        check("standardised KD T=4", logits: s) { logits, gradient in
            standardizeLogits(logits, into: zs)
            let loss = distillationLoss(
                studentLogits: zs, teacherTarget: p, labels: labels, temperature: 4, alpha: 0.9,
                gradient: gradient == nil ? nil : dz
            ).total
            if let gradient { standardizeLogitsBackward(logits: logits, outputGradient: dz, into: gradient) }
            return loss
        }
    }
}
