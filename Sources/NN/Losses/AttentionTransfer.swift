/// Attention transfer (Zagoruyko & Komodakis 2017) with p = 2, as mdistiller's `at_loss` and
/// RepDistiller's `Attention` compute it for one pair of stages:
/// `a(F) = normalize(F.pow(2).mean(1).view(N, -1))` (the channel mean of F^2, flattened, L2
/// normalised per sample with `F.normalize`'s eps 1e-12) and `L = (a(f_s) - a(f_t)).pow(2).mean()`
/// over N*S, S = H*W. Channel counts may differ. When the spatial sizes differ, the larger map
/// is first brought to the smaller's size by `F.adaptive_avg_pool2d` (mdistiller pools the side
/// with the larger H to the other's (H, H); here each side is pooled to (min H, min W), the same
/// for square maps).
///
/// Gradient, per sample with q = mean_c F^2 and a = q / max(|q|, eps): g = dL/da_s =
/// 2 (a_s - a_t) / (N*S); dL/dq = (g - a_s <a_s, g>) / |q| (g / eps when |q| <= eps);
/// dL/dF[c, s] = dL/dq[s] * 2 F[c, s] / C, then back through the pooling. The teacher gets none.
public final class AttentionTransfer {
    /// Per-sample shapes [C, H, W] of the student's and the teacher's feature.
    public let studentShape: [Int]
    public let teacherShape: [Int]
    private let studentPool: AdaptiveAvgPool2d?
    private let teacherPool: AdaptiveAvgPool2d?
    /// a(f_s), a(f_t): [N, S].
    private let studentMap = Tensor(shape: [0])
    private let teacherMap = Tensor(shape: [0])
    /// dL/dF of the (pooled) student feature, when it is pooled: [N, C, h, w].
    private let pooledGradient = Tensor(shape: [0])
    /// |q| per sample of the student, unclamped: [N].
    private let studentNorms = Tensor(shape: [0])

    /// `F.normalize`'s default eps.
    static let epsilon: Float = 1e-12

    /// Throws a ShapeError unless both shapes are [C, H, W].
    public init(student: [Int], teacher: [Int]) throws {
        guard student.count == 3, teacher.count == 3 else {
            throw ShapeError("attention transfer needs [C, H, W] features, got \(student) and \(teacher)")
        }
        studentShape = student
        teacherShape = teacher
        let (h, w) = (min(student[1], teacher[1]), min(student[2], teacher[2]))
        func pool(_ shape: [Int]) -> AdaptiveAvgPool2d? {
            shape[1] == h && shape[2] == w ? nil : AdaptiveAvgPool2d(height: h, width: w)
        }
        studentPool = pool(student)
        teacherPool = pool(teacher)
    }

    /// student [N, ...studentShape], teacher [N, ...teacherShape] -> L; overwrites `gradient`
    /// with weight * dL/dstudent ([N, ...studentShape]).
    public func loss(student: Tensor, teacher: Tensor, weight: Float = 1, gradient: Tensor) -> Float {
        let fs = studentPool?.forward(student, training: false) ?? student
        let ft = teacherPool?.forward(teacher, training: false) ?? teacher
        Self.map(fs, into: studentMap, norms: studentNorms)
        Self.map(ft, into: teacherMap, norms: nil)
        let (n, s) = (studentMap.shape[0], studentMap.shape[1])
        let target = studentPool == nil ? gradient : pooledGradient
        target.resize(to: fs.shape)
        let channels = fs.shape[1]
        let scale = 2 * weight / Float(n * s)
        var sum: Double = 0
        studentMap.data.withUnsafeBufferPointer { a in
            teacherMap.data.withUnsafeBufferPointer { b in
                fs.data.withUnsafeBufferPointer { f in
                    target.data.withUnsafeMutableBufferPointer { dF in
                        for i in 0..<n {
                            var dot: Float = 0
                            for j in (i * s)..<((i + 1) * s) {
                                let d = a[j] - b[j]
                                sum += Double(d * d)
                                dot += a[j] * scale * d
                            }
                            let norm = studentNorms.data[i]
                            for j in 0..<s {
                                let g = scale * (a[i * s + j] - b[i * s + j])
                                let dq = norm > Self.epsilon ? (g - a[i * s + j] * dot) / norm : g / Self.epsilon
                                let factor = 2 * dq / Float(channels)
                                for c in 0..<channels {
                                    let k = (i * channels + c) * s + j
                                    dF[k] = factor * f[k]
                                }
                            }
                        }
                    }
                }
            }
        }
        if let studentPool { gradient.copy(from: studentPool.backward(pooledGradient)) }
        return Float(sum / Double(max(n * s, 1)))
    }

    /// `map` [N, H*W] = a(f) for f [N, C, H, W]; `norms` [N] gets each |q| (unclamped) when given.
    private static func map(_ f: Tensor, into map: Tensor, norms: Tensor?) {
        let (n, c) = (f.shape[0], f.shape[1])
        let s = f.featuresPerItem / max(c, 1)
        map.resize(n, s)
        norms?.resize(n)
        f.data.withUnsafeBufferPointer { x in
            map.data.withUnsafeMutableBufferPointer { q in
                for i in 0..<n {
                    var squares: Float = 0
                    for j in 0..<s {
                        var mean: Float = 0
                        for k in 0..<c {
                            let v = x[(i * c + k) * s + j]
                            mean += v * v
                        }
                        mean /= Float(c)
                        q[i * s + j] = mean
                        squares += mean * mean
                    }
                    let norm = squares.squareRoot()
                    norms?.data[i] = norm
                    let divisor = max(norm, epsilon)
                    for j in 0..<s { q[i * s + j] /= divisor }
                }
            }
        }
    }
}
