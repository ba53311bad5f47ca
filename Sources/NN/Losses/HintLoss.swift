/// The FitNets hint (Romero et al. 2015): the mean squared error between the regressed student
/// feature r = regressor(f_s) and the teacher's feature t, over all N*D elements:
/// `L = sum((r - t)^2) / (N*D)`, `dL/dr = 2 (r - t) / (N*D)`. PyTorch: `F.mse_loss(r, t)`
/// (reduction 'mean'), as mdistiller's FitNet has it.
///
/// regressed, teacher: the same shape [N, ...]. Overwrites `gradient` with weight * dL/dr (same
/// shape); returns the unweighted L.
public func hintLoss(regressed: Tensor, teacher: Tensor, weight: Float = 1, gradient: Tensor) -> Float {
    precondition(regressed.shape == teacher.shape, "hintLoss: student \(regressed.shape), teacher \(teacher.shape)")
    gradient.resize(to: regressed.shape)
    let n = Float(max(regressed.count, 1))
    let scale = 2 * weight / n
    var sum: Double = 0
    regressed.data.withUnsafeBufferPointer { r in
        teacher.data.withUnsafeBufferPointer { t in
            gradient.data.withUnsafeMutableBufferPointer { g in
                for i in r.indices {
                    let d = r[i] - t[i]
                    sum += Double(d * d)
                    g[i] = scale * d
                }
            }
        }
    }
    return Float(sum / Double(n))
}
