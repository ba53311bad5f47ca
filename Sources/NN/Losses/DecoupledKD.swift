import Foundation

/// The parts of one DKD loss evaluation.
public struct DecoupledKDLossValue: Equatable, Sendable {
    /// (alpha·TCKD + beta·NCKD)·T²: what is minimised.
    public var total: Float
    /// Target-class KD, batch mean, NOT scaled by T².
    public var targetClass: Float
    /// Non-target-class KD, batch mean, NOT scaled by T².
    public var nonTargetClass: Float

    public init(total: Float, targetClass: Float, nonTargetClass: Float) {
        self.total = total
        self.targetClass = targetClass
        self.nonTargetClass = nonTargetClass
    }
}

/// What mdistiller subtracts from the target class's tempered logit before the NCKD softmaxes.
let decoupledKDMask = 1000.0

/// Decoupled knowledge distillation (Zhao et al. 2022), as mdistiller's
/// `dkd_loss(logits_student, logits_teacher, target, alpha, beta, temperature)`:
/// `L = (alpha·TCKD + beta·NCKD)·T²`, both KL terms batch-mean.
///
/// With u = s / T, v = t / T, p = softmax(u), p^t = softmax(v) and y the label of a sample:
/// - TCKD = KL(b^t ‖ b) with the binary distributions b = [p_y, 1 − p_y], b^t = [p^t_y, 1 − p^t_y];
/// - NCKD = KL(m^t ‖ m) with m = softmax(u − 1000·onehot(y)), m^t = softmax(v − 1000·onehot(y)).
///
/// **The mask** is reproduced exactly, not replaced by dropping the class: the target's tempered
/// logit minus 1000 stays in NCKD's softmaxes, so its share is exp(−1000)-small (0 in Double
/// unless u_y exceeds logsumexp_{k≠y} u_k by ≈ 255) and value and gradient equal mdistiller's.
/// Everything is in log space (log(1 − p_y) = logsumexp_{k≠y} u_k − logsumexp_k u_k), where
/// mdistiller takes `torch.log` of the concatenated probabilities; the two agree wherever
/// mdistiller is finite. Terms with a zero teacher probability contribute 0.
///
/// Gradient (written into `gradient`), per sample with r = softmax of u over k ≠ y:
/// `dTCKD/du_y = p_y − p^t_y`, `dTCKD/du_k = r_k·((1 − p_y) − (1 − p^t_y))` for k ≠ y,
/// `dNCKD/du_k = m_k·Σm^t − m^t_k`; `dL/ds = T·(alpha·dTCKD/du + beta·dNCKD/du) / B`.
/// mdistiller's warm-up factor min(epoch / warmup, 1) is the caller's (it scales L).
///
/// - Parameters:
///   - studentLogits: s, [B, K], K ≥ 2.
///   - teacherLogits: t, [B, K] (raw logits, not probabilities).
///   - labels: B class indices in 0..<K.
///   - temperature: T > 0.
///   - alpha: weight of TCKD (mdistiller's `DKD.ALPHA`, default 1).
///   - beta: weight of NCKD (`DKD.BETA`, default 8).
///   - gradient: nil, or a tensor resized to [B, K] and overwritten with dL/ds; not a logits tensor.
public func decoupledKDLoss(
    studentLogits: Tensor, teacherLogits: Tensor, labels: [Int32], temperature: Float, alpha: Float = 1,
    beta: Float = 8, gradient: Tensor?
) -> DecoupledKDLossValue {
    let (batch, classes) = batchAndClasses(studentLogits, "decoupledKDLoss")
    precondition(
        teacherLogits.shape == studentLogits.shape,
        "decoupledKDLoss: teacher logits \(teacherLogits.shape) differ from student logits \(studentLogits.shape)")
    precondition(classes >= 2, "decoupledKDLoss: needs at least 2 classes, got \(classes)")
    precondition(labels.count == batch, "decoupledKDLoss: \(labels.count) labels for a batch of \(batch)")
    precondition(temperature > 0, "decoupledKDLoss: temperature \(temperature) must be positive")
    precondition(gradient !== teacherLogits, "decoupledKDLoss: the gradient tensor must not be the teacher logits")
    let t = Double(temperature)
    let (a, b) = (Double(alpha), Double(beta))
    let chain = t / Double(batch)
    var (tckd, nckd) = (0.0, 0.0)
    withGradientStorage(gradient, shapedLike: studentLogits) { g in
        studentLogits.data.withUnsafeBufferPointer { sAll in
            teacherLogits.data.withUnsafeBufferPointer { tAll in
                for row in 0..<batch {
                    let label = Int(labels[row])
                    precondition(
                        (0..<classes).contains(label),
                        "decoupledKDLoss: label \(label) of sample \(row) outside 0..<\(classes)")
                    let student = SplitLogSoftmax(sAll.baseAddress! + row * classes, classes, label, t)
                    let teacher = SplitLogSoftmax(tAll.baseAddress! + row * classes, classes, label, t)
                    // TCKD: KL between the two binary distributions [p_y, 1 − p_y].
                    tckd += klTerm(teacher.logTarget, student.logTarget) + klTerm(teacher.logOther, student.logOther)
                    // NCKD: KL between the masked softmaxes.
                    var teacherMass = 0.0
                    for k in 0..<classes {
                        let logMT = teacher.logMasked(k)
                        nckd += klTerm(logMT, student.logMasked(k))
                        teacherMass += exp(logMT)
                    }
                    guard let g else { continue }
                    let otherGap = exp(student.logOther) - exp(teacher.logOther)
                    for k in 0..<classes {
                        let dT =
                            k == label
                            ? exp(student.logTarget) - exp(teacher.logTarget)
                            : exp(student.logNonTarget(k)) * otherGap
                        let dN = exp(student.logMasked(k)) * teacherMass - exp(teacher.logMasked(k))
                        g[row * classes + k] = Float(chain * (a * dT + b * dN))
                    }
                }
            }
        }
    }
    let inverseBatch = 1 / Double(batch)
    let (tc, nc) = (tckd * inverseBatch, nckd * inverseBatch)
    return DecoupledKDLossValue(
        total: Float((a * tc + b * nc) * t * t), targetClass: Float(tc), nonTargetClass: Float(nc))
}

/// p·(log p − log q) from log p and log q, 0 where p underflows to 0 (0·log 0 = 0).
private func klTerm(_ logP: Double, _ logQ: Double) -> Double {
    let p = exp(logP)
    return p > 0 ? p * (logP - logQ) : 0
}

/// One row's log-softmax at temperature T split at the target class y: the log-sum-exp over
/// the other classes, from which the full, the target/other and the masked log-probabilities
/// all follow without a row buffer.
private struct SplitLogSoftmax {
    let row: UnsafePointer<Float>
    let label: Int
    let temperature: Double
    /// logsumexp_{k≠y} x_k / T.
    let logSumOther: Double
    /// log p_y and log(1 − p_y) of the full softmax.
    let logTarget: Double
    let logOther: Double
    /// logsumexp of the masked row (x_y / T − 1000 in place of x_y / T).
    let logSumMasked: Double

    init(_ row: UnsafePointer<Float>, _ classes: Int, _ label: Int, _ temperature: Double) {
        self.row = row
        self.label = label
        self.temperature = temperature
        var maximum = -Double.infinity
        for k in 0..<classes where k != label { maximum = max(maximum, Double(row[k]) / temperature) }
        var sum = 0.0
        for k in 0..<classes where k != label { sum += exp(Double(row[k]) / temperature - maximum) }
        logSumOther = maximum + log(sum)
        let target = Double(row[label]) / temperature
        let logSumAll = logAddExp(logSumOther, target)
        logTarget = target - logSumAll
        logOther = logSumOther - logSumAll
        logSumMasked = logAddExp(logSumOther, target - decoupledKDMask)
    }

    /// log m_k, m = softmax of the masked row.
    func logMasked(_ k: Int) -> Double {
        Double(row[k]) / temperature - (k == label ? decoupledKDMask : 0) - logSumMasked
    }

    /// log r_k for k ≠ y, r = softmax over the non-target classes.
    func logNonTarget(_ k: Int) -> Double { Double(row[k]) / temperature - logSumOther }
}
