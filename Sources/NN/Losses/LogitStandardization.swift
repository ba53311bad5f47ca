import Foundation

/// The eps of logit standardisation's denominator (Sun et al. 2024, `1e-7 + stdv`).
let standardizationEpsilon = 1e-7

/// Logit standardisation (Sun et al. 2024, "Logit Standardization in Knowledge Distillation"),
/// per sample: `z' = (z − mean(z)) / (std(z) + 1e-7)` with the UNBIASED std
/// (`(z - z.mean(-1, keepdim=True)) / (1e-7 + z.std(-1, keepdim=True))`, torch.std's default).
/// Applied to teacher and student logits before the temperature.
///
/// - Parameters:
///   - logits: z, [B, K], K ≥ 2.
///   - output: resized to [B, K] and overwritten with z'; may not be `logits`.
public func standardizeLogits(_ logits: Tensor, into output: Tensor) {
    let (batch, classes) = batchAndClasses(logits, "standardizeLogits")
    precondition(classes >= 2, "standardizeLogits: the unbiased std needs K ≥ 2, got \(classes)")
    precondition(output !== logits, "standardizeLogits: `into` must not be the logits tensor")
    output.resize(to: logits.shape)
    logits.data.withUnsafeBufferPointer { x in
        output.data.withUnsafeMutableBufferPointer { y in
            for b in 0..<batch {
                let stats = RowMoments(x.baseAddress! + b * classes, classes)
                for k in 0..<classes {
                    y[b * classes + k] = Float((Double(x[b * classes + k]) - stats.mean) / stats.denominator)
                }
            }
        }
    }
}

/// The backward of `standardizeLogits`: dL/dz from dL/dz' (the vector-Jacobian product).
///
/// Per sample with c = z − mean(z), σ the unbiased std, d = σ + 1e-7 and g = dL/dz':
/// `dL/dz_k = (g_k − mean(g)) / d − (Σ_j g_j c_j)·c_k / (d²·(K − 1)·σ)`. Where σ = 0 (a
/// constant row) the second term is taken as 0 (torch's std backward gives NaN there).
///
/// - Parameters:
///   - logits: z, [B, K], the input of the forward pass.
///   - outputGradient: dL/dz', [B, K].
///   - gradient: resized to [B, K] and overwritten with dL/dz; not `logits` nor `outputGradient`.
public func standardizeLogitsBackward(logits: Tensor, outputGradient: Tensor, into gradient: Tensor) {
    let (batch, classes) = batchAndClasses(logits, "standardizeLogitsBackward")
    precondition(
        outputGradient.shape == logits.shape,
        "standardizeLogitsBackward: gradient \(outputGradient.shape) differs from logits \(logits.shape)")
    precondition(
        gradient !== logits && gradient !== outputGradient,
        "standardizeLogitsBackward: `into` must not be an input tensor")
    gradient.resize(to: logits.shape)
    logits.data.withUnsafeBufferPointer { x in
        outputGradient.data.withUnsafeBufferPointer { gOut in
            gradient.data.withUnsafeMutableBufferPointer { gIn in
                for b in 0..<batch {
                    let offset = b * classes
                    let stats = RowMoments(x.baseAddress! + offset, classes)
                    var (sumG, sumGC) = (0.0, 0.0)
                    for k in 0..<classes {
                        let g = Double(gOut[offset + k])
                        sumG += g
                        sumGC += g * (Double(x[offset + k]) - stats.mean)
                    }
                    let meanG = sumG / Double(classes)
                    let d = stats.denominator
                    let stdTerm = stats.std > 0 ? sumGC / (d * d * Double(classes - 1) * stats.std) : 0
                    for k in 0..<classes {
                        let c = Double(x[offset + k]) - stats.mean
                        gIn[offset + k] = Float((Double(gOut[offset + k]) - meanG) / d - stdTerm * c)
                    }
                }
            }
        }
    }
}

/// Mean and unbiased std of one row, in Double (two passes).
private struct RowMoments {
    let mean: Double
    let std: Double
    var denominator: Double { std + standardizationEpsilon }

    init(_ row: UnsafePointer<Float>, _ count: Int) {
        var sum = 0.0
        for k in 0..<count { sum += Double(row[k]) }
        let mean = sum / Double(count)
        var squares = 0.0
        for k in 0..<count {
            let c = Double(row[k]) - mean
            squares += c * c
        }
        self.mean = mean
        self.std = (squares / Double(count - 1)).squareRoot()
    }
}
