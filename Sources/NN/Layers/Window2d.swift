/// The geometry of a square sliding window over a [C, H, W] image (convolution or pooling),
/// PyTorch's rules with dilation 1 and ceil_mode=False:
/// `Ho = (H + 2*padding - kernel) / stride + 1`, likewise Wo.
struct Window2d {
    let channels: Int
    let height: Int
    let width: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let outHeight: Int
    let outWidth: Int

    /// Geometry for a per-sample input shape [C, H, W]; throws a ShapeError naming the layer
    /// (`what`) when the shape is not [C, H, W] or the padded input is smaller than the window.
    init(_ what: String, inputShape: [Int], kernel: Int, stride: Int, padding: Int) throws {
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("\(what) expects a per-sample shape [C, H, W], found \(inputShape)")
        }
        let (h, w) = (inputShape[1], inputShape[2])
        guard h + 2 * padding >= kernel, w + 2 * padding >= kernel else {
            throw ShapeError(
                "\(what): kernel \(kernel) is larger than the padded input \(h + 2 * padding)x\(w + 2 * padding) "
                    + "(input \(inputShape), padding \(padding))")
        }
        self.channels = inputShape[0]
        self.height = h
        self.width = w
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.outHeight = (h + 2 * padding - kernel) / stride + 1
        self.outWidth = (w + 2 * padding - kernel) / stride + 1
    }

    /// Elements of one input image: C*H*W.
    var inputCount: Int { channels * height * width }
    /// Output positions per channel: Ho*Wo.
    var outputPlane: Int { outHeight * outWidth }
    /// Rows of the column matrix: C*k*k.
    var patchSize: Int { channels * kernel * kernel }

    /// The output columns `ow` whose input column `ow*stride - padding + offset` lies inside
    /// [0, W): a half-open range, possibly empty.
    func validColumns(offset: Int) -> Range<Int> {
        // ow*stride >= padding - offset  and  ow*stride <= W - 1 + padding - offset
        let lowNumerator = padding - offset
        let low = lowNumerator <= 0 ? 0 : (lowNumerator + stride - 1) / stride
        let highNumerator = width - 1 + padding - offset
        let high = highNumerator < 0 ? 0 : min(outWidth, highNumerator / stride + 1)
        return low..<max(low, high)
    }
}
