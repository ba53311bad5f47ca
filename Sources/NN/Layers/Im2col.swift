/// Unfolds one image [C, H, W] into columns [C*k*k, Ho*Wo]: row (c, ki, kj), column (oh, ow)
/// holds x[c, oh*s - p + ki, ow*s - p + kj], zero where that falls in the padding.
/// Rows are written `ldCol` elements apart, so several images can sit side by side in one
/// matrix [C*k*k, n*Ho*Wo] (image i at column offset i*Ho*Wo).
func im2col(_ image: UnsafePointer<Float>, _ g: Window2d, col: UnsafeMutablePointer<Float>, ldCol: Int) {
    if g.stride == 1, g.outHeight == g.height, g.outWidth == g.width {
        return im2colSame(image, g, col: col, ldCol: ldCol)
    }
    let k = g.kernel
    for c in 0..<g.channels {
        let plane = image + c * g.height * g.width
        for ki in 0..<k {
            for kj in 0..<k {
                let rowStart = col + ((c * k + ki) * k + kj) * ldCol
                let valid = g.validColumns(offset: kj)
                for oh in 0..<g.outHeight {
                    let out = rowStart + oh * g.outWidth
                    let ih = oh * g.stride - g.padding + ki
                    guard ih >= 0, ih < g.height, !valid.isEmpty else {
                        out.update(repeating: 0, count: g.outWidth)
                        continue
                    }
                    out.update(repeating: 0, count: valid.lowerBound)
                    let base = ih * g.width - g.padding + kj
                    if g.stride == 1 {
                        (out + valid.lowerBound).update(from: plane + base + valid.lowerBound, count: valid.count)
                    } else {
                        for ow in valid { out[ow] = plane[base + ow * g.stride] }
                    }
                    (out + valid.upperBound).update(repeating: 0, count: g.outWidth - valid.upperBound)
                }
            }
        }
    }
}

/// `im2col` for a stride-1 "same" window (output as large as the input, 2*padding = k - 1):
/// row (c, ki, kj) is the image plane shifted by (ki - p)*W + (kj - p), so it is ONE contiguous
/// copy, zero where the shift leaves the plane, then the columns that wrapped around a row edge
/// (input column outside [0, W)) cleared.
private func im2colSame(_ image: UnsafePointer<Float>, _ g: Window2d, col: UnsafeMutablePointer<Float>, ldCol: Int) {
    let (k, p, w, plane) = (g.kernel, g.padding, g.width, g.height * g.width)
    for c in 0..<g.channels {
        let source = image + c * plane
        for ki in 0..<k {
            for kj in 0..<k {
                let row = col + ((c * k + ki) * k + kj) * ldCol
                let shift = (ki - p) * w + (kj - p)
                let low = min(plane, max(0, -shift))
                let high = max(low, min(plane, plane - shift))
                row.update(repeating: 0, count: low)
                (row + low).update(from: source + low + shift, count: high - low)
                (row + high).update(repeating: 0, count: plane - high)
                let (left, right) = (max(0, p - kj), max(0, kj - p))  // wrapped columns at each row's edges
                if left == 0 && right == 0 { continue }
                for oh in 0..<g.outHeight {
                    let line = row + oh * w
                    for ow in 0..<left { line[ow] = 0 }
                    for ow in (w - right)..<w { line[ow] = 0 }
                }
            }
        }
    }
}

/// `col2im` for a stride-1 "same" window, the adjoint of `im2colSame`: clears the row's
/// entries whose input column wrapped around a row edge, then adds the row, shifted, to the
/// image plane in one contiguous loop.
private func col2imSame(
    _ col: UnsafeMutablePointer<Float>, _ g: Window2d, ldCol: Int, image: UnsafeMutablePointer<Float>
) {
    let (k, p, w, plane) = (g.kernel, g.padding, g.width, g.height * g.width)
    for c in 0..<g.channels {
        let target = image + c * plane
        for ki in 0..<k {
            for kj in 0..<k {
                let row = col + ((c * k + ki) * k + kj) * ldCol
                let shift = (ki - p) * w + (kj - p)
                let low = min(plane, max(0, -shift))
                let high = max(low, min(plane, plane - shift))
                let (left, right) = (max(0, p - kj), max(0, kj - p))
                if left > 0 || right > 0 {
                    for oh in 0..<g.outHeight {
                        let line = row + oh * w
                        for ow in 0..<left { line[ow] = 0 }
                        for ow in (w - right)..<w { line[ow] = 0 }
                    }
                }
                let destination = target + shift
                for j in low..<high { destination[j] += row[j] }
            }
        }
    }
}

/// The adjoint of `im2col`: ADDS columns [C*k*k, Ho*Wo] (rows `ldCol` apart) back into an image
/// [C, H, W], summing where windows overlap and dropping what falls in the padding. `col` is
/// scratch: entries that fall in the padding may be set to 0.
func col2im(_ col: UnsafeMutablePointer<Float>, _ g: Window2d, ldCol: Int, image: UnsafeMutablePointer<Float>) {
    if g.stride == 1, g.outHeight == g.height, g.outWidth == g.width {
        return col2imSame(col, g, ldCol: ldCol, image: image)
    }
    let k = g.kernel
    for c in 0..<g.channels {
        let plane = image + c * g.height * g.width
        for ki in 0..<k {
            for kj in 0..<k {
                let rowStart = col + ((c * k + ki) * k + kj) * ldCol
                let valid = g.validColumns(offset: kj)
                if valid.isEmpty { continue }
                for oh in 0..<g.outHeight {
                    let ih = oh * g.stride - g.padding + ki
                    guard ih >= 0, ih < g.height else { continue }
                    let src = rowStart + oh * g.outWidth
                    let base = ih * g.width - g.padding + kj
                    if g.stride == 1 {
                        let dst = plane + base
                        for ow in valid { dst[ow] += src[ow] }
                    } else {
                        for ow in valid { plane[base + ow * g.stride] += src[ow] }
                    }
                }
            }
        }
    }
}
