import Foundation

/// The parts of one DIST loss evaluation.
public struct DISTLossValue: Equatable, Sendable {
    /// tau²·(beta·inter + gamma·intra): what is minimised.
    public var total: Float
    /// 1 − mean over samples of the Pearson correlation of a row, NOT scaled by tau².
    public var inter: Float
    /// 1 − mean over classes of the Pearson correlation of a column, NOT scaled by tau².
    public var intra: Float

    public init(total: Float, inter: Float, intra: Float) {
        self.total = total
        self.inter = inter
        self.intra = intra
    }
}

/// The scratch `distLoss` keeps between its passes: both softmaxes in Double ([B·K] each), so
/// the correlations are not computed from rounded probabilities. Reused without allocation
/// while the batch shape stays the same.
public final class DISTScratch {
    var student: [Double] = []
    var teacher: [Double] = []

    public init() {}

    func prepare(_ count: Int) {
        if student.count != count {
            student = [Double](repeating: 0, count: count)
            teacher = [Double](repeating: 0, count: count)
        }
    }
}

/// The Pearson denominator's eps of the DIST reference code (`cosine_similarity(a, b, eps=1e-8)`:
/// a·b / (‖a‖·‖b‖ + eps) on mean-centred vectors).
let distPearsonEpsilon = 1e-8

/// DIST (Huang et al. 2022, "Knowledge Distillation from A Stronger Teacher"), as the reference
/// `DIST(beta, gamma, tau)(z_s, z_t)`: with y_s = softmax(s / tau), y_t = softmax(t / tau),
/// `L = tau²·(beta·(1 − mean_i ρ(y_s[i,:], y_t[i,:])) + gamma·(1 − mean_j ρ(y_s[:,j], y_t[:,j])))`,
/// ρ(a, b) = ⟨a − ā, b − b̄⟩ / (‖a − ā‖·‖b − b̄‖ + 1e-8) (the reference's eps, kept).
///
/// The intra (per-class) term couples the samples of the batch; its gradient is exact. For a
/// pair with centred a, b and d = ‖a‖‖b‖ + eps: `dρ/da = b/d − ⟨a,b⟩·‖b‖·a / (‖a‖·d²)` (the
/// second term 0 when ‖a‖ = 0), then centred again (the mean's Jacobian). G = dL/dy_s sums
/// `−tau²·beta/B·dρ_i` over rows and `−tau²·gamma/K·dρ_j` over columns; through the softmax,
/// `dL/ds_k = y_k·(G_k − Σ_j y_j G_j) / tau` per row.
///
/// - Parameters:
///   - studentLogits: z_s, [B, K], B ≥ 2 and K ≥ 2.
///   - teacherLogits: z_t, [B, K] (raw logits).
///   - tau: the softmax temperature (> 0; the paper's default 4 for small data sets here).
///   - beta, gamma: weights of the inter- and intra-class terms (default 1 and 1).
///   - scratch: the caller's buffers (see `DISTScratch`).
///   - gradient: nil, or a tensor resized to [B, K] and overwritten with dL/dz_s; not a logits tensor.
public func distLoss(
    studentLogits: Tensor, teacherLogits: Tensor, tau: Float, beta: Float = 1, gamma: Float = 1,
    scratch: DISTScratch, gradient: Tensor?
) -> DISTLossValue {
    let (batch, classes) = batchAndClasses(studentLogits, "distLoss")
    precondition(
        teacherLogits.shape == studentLogits.shape,
        "distLoss: teacher logits \(teacherLogits.shape) differ from student logits \(studentLogits.shape)")
    precondition(batch >= 2 && classes >= 2, "distLoss: needs B ≥ 2 and K ≥ 2, got \(studentLogits.shape)")
    precondition(tau > 0, "distLoss: tau \(tau) must be positive")
    precondition(gradient !== teacherLogits, "distLoss: the gradient tensor must not be the teacher logits")
    scratch.prepare(batch * classes)
    fillSoftmax(studentLogits, tau, &scratch.student)
    fillSoftmax(teacherLogits, tau, &scratch.teacher)
    let tau2 = Double(tau) * Double(tau)
    let rowWeight = -tau2 * Double(beta) / Double(batch)
    let columnWeight = -tau2 * Double(gamma) / Double(classes)
    var (rowSum, columnSum) = (0.0, 0.0)
    withGradientStorage(gradient, shapedLike: studentLogits) { g in
        scratch.student.withUnsafeBufferPointer { ys in
            scratch.teacher.withUnsafeBufferPointer { yt in
                let (s, t) = (ys.baseAddress!, yt.baseAddress!)
                if let g { g.update(repeating: 0, count: batch * classes) }
                for i in 0..<batch {
                    let offset = i * classes
                    rowSum += Pearson(s + offset, t + offset, count: classes, stride: 1)
                        .addGradient(to: g.map { $0 + offset }, scale: rowWeight)
                }
                for j in 0..<classes {
                    columnSum += Pearson(s + j, t + j, count: batch, stride: classes)
                        .addGradient(to: g.map { $0 + j }, scale: columnWeight)
                }
                guard let g else { return }
                let inverseTau = 1 / Double(tau)
                for i in 0..<batch {
                    let offset = i * classes
                    var dot = 0.0
                    for k in 0..<classes { dot += s[offset + k] * Double(g[offset + k]) }
                    for k in 0..<classes {
                        g[offset + k] = Float(s[offset + k] * (Double(g[offset + k]) - dot) * inverseTau)
                    }
                }
            }
        }
    }
    let inter = 1 - rowSum / Double(batch)
    let intra = 1 - columnSum / Double(classes)
    return DISTLossValue(
        total: Float(tau2 * (Double(beta) * inter + Double(gamma) * intra)), inter: Float(inter), intra: Float(intra))
}

/// softmax(logits / tau) row by row into `out` (B·K Doubles), with the shared log-softmax.
private func fillSoftmax(_ logits: Tensor, _ tau: Float, _ out: inout [Double]) {
    let classes = logits.shape[1]
    logits.data.withUnsafeBufferPointer { x in
        for b in 0..<logits.shape[0] {
            let row = x.baseAddress! + b * classes
            let stats = RowLogSoftmax(row, count: classes, temperature: tau)
            for k in 0..<classes { out[b * classes + k] = exp(stats.logProbability(row[k])) }
        }
    }
}

/// The Pearson correlation of two strided vectors a, b of `count` entries, with the pieces its
/// gradient with respect to a needs.
private struct Pearson {
    let a: UnsafePointer<Double>
    let b: UnsafePointer<Double>
    let count: Int
    let stride: Int
    let meanA: Double
    let meanB: Double
    let normA: Double
    let normB: Double
    let dot: Double

    init(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, count: Int, stride: Int) {
        (self.a, self.b, self.count, self.stride) = (a, b, count, stride)
        var (sumA, sumB) = (0.0, 0.0)
        for n in 0..<count {
            sumA += a[n * stride]
            sumB += b[n * stride]
        }
        meanA = sumA / Double(count)
        meanB = sumB / Double(count)
        var (aa, bb, ab) = (0.0, 0.0, 0.0)
        for n in 0..<count {
            let (x, y) = (a[n * stride] - meanA, b[n * stride] - meanB)
            aa += x * x
            bb += y * y
            ab += x * y
        }
        (normA, normB, dot) = (aa.squareRoot(), bb.squareRoot(), ab)
    }

    /// Adds `scale·dρ/da` to `g` (same stride) when given; returns ρ.
    func addGradient(to g: UnsafeMutablePointer<Float>?, scale: Double) -> Double {
        let denominator = normA * normB + distPearsonEpsilon
        let rho = dot / denominator
        guard let g else { return rho }
        let coefficientB = 1 / denominator
        let coefficientA = normA > 0 ? dot * normB / (normA * denominator * denominator) : 0
        // dρ/da before centring, then minus its mean (the centring's Jacobian).
        var mean = 0.0
        for n in 0..<count {
            mean += coefficientB * (b[n * stride] - meanB) - coefficientA * (a[n * stride] - meanA)
        }
        mean /= Double(count)
        for n in 0..<count {
            let d = coefficientB * (b[n * stride] - meanB) - coefficientA * (a[n * stride] - meanA) - mean
            g[n * stride] += Float(scale * d)
        }
        return rho
    }
}
