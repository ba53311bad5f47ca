/// The zero-padded planes of a [C, H, W] image for a 3x3 window with padding 1 and stride 1 or
/// 2, as `kd_conv_taps` reads them, and where its outputs land.
///
/// Stride 1: one plane per channel, the image at row 1, column 1, rows `rowStride` = W + 2
/// apart; tap (ki, kj) is offset ki * rowStride + kj. Stride 2: the padded image's 4 phase
/// planes (row parity a, column parity b; phase 2a + b holds padded pixel (2i + a, 2j + b) at
/// i * rowStride + j, rowStride = Wo + 1); tap (ki, kj) reads phase (ki % 2, kj % 2) at
/// (ki / 2) * rowStride + kj / 2. Either way output (oh, ow) is position oh * rowStride + ow of
/// `positions` (Ho * rowStride rounded up to 32; the positions with ow >= Wo are scratch), and
/// every read of a plane stays inside its `phaseStride` floats, `planeStride` floats per channel.
struct TapPlanes {
    let stride: Int
    let height: Int
    let width: Int
    let outHeight: Int
    let outWidth: Int
    let rowStride: Int
    let positions: Int
    /// Floats per phase plane (with room for every read past its positions).
    let phaseStride: Int
    /// Floats per channel: 1 (stride 1) or 4 (stride 2) phase planes.
    let planeStride: Int
    /// The 9 taps' offsets, k = 3 * ki + kj.
    let forwardOffsets: [Int]

    init(_ g: Window2d) {
        self.init(stride: g.stride, height: g.height, width: g.width, outHeight: g.outHeight, outWidth: g.outWidth)
    }

    /// The stride-1 planes of `g`'s input (each image padded by one on every side, rows W + 2
    /// apart), as the weight gradient of a stride-2 layer reads them.
    init(unstridedInputOf g: Window2d) {
        self.init(stride: 1, height: g.height, width: g.width, outHeight: g.height, outWidth: g.width)
    }

    private init(stride: Int, height: Int, width: Int, outHeight: Int, outWidth: Int) {
        self.stride = stride
        (self.height, self.width, self.outHeight, self.outWidth) = (height, width, outHeight, outWidth)
        rowStride = stride == 1 ? width + 2 : outWidth + 1
        positions = (outHeight * rowStride + 31) / 32 * 32
        phaseStride = positions + 2 * rowStride + 2
        planeStride = (stride == 1 ? 1 : 4) * phaseStride
        let (row, phase) = (rowStride, phaseStride)
        forwardOffsets = (0..<9).map { k in
            let (ki, kj) = (k / 3, k % 3)
            if stride == 1 { return ki * row + kj }
            return ((ki % 2) * 2 + kj % 2) * phase + (ki / 2) * row + kj / 2
        }
    }

    /// Whether these planes are the ones of `g`.
    func matches(_ g: Window2d) -> Bool {
        g.stride == stride && g.height == height && g.width == width
    }

    /// Copies `channels` images [H, W] into their padded planes at `padded`, channels
    /// `channelStride` floats apart (the borders stay as they are: zero).
    func pad(
        _ image: UnsafePointer<Float>, channels: Int, into padded: UnsafeMutablePointer<Float>, channelStride: Int
    ) {
        for c in 0..<channels {
            let source = image + c * height * width
            let target = padded + c * channelStride
            if stride == 1 {
                for h in 0..<height {
                    (target + (h + 1) * rowStride + 1).update(from: source + h * width, count: width)
                }
                continue
            }
            for h in 0..<height {
                let (p, line) = (h + 1, source + h * width)
                let rowBase = target + (p % 2) * 2 * phaseStride + (p / 2) * rowStride
                // Padded column q = w + 1: odd q (even w) in phase column 1, even q in phase column 0.
                let odd = rowBase + phaseStride
                var w = 0
                while w + 16 <= width {  // 16 pixels: 8 to each phase
                    let pixels = UnsafeRawPointer(line + w).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(odd + w / 2).storeBytes(of: pixels.evenHalf, as: SIMD8<Float>.self)
                    UnsafeMutableRawPointer(rowBase + w / 2 + 1).storeBytes(of: pixels.oddHalf, as: SIMD8<Float>.self)
                    w += 16
                }
                for w in Swift.stride(from: w, to: width, by: 2) { odd[w / 2] = line[w] }
                for w in Swift.stride(from: w + 1, to: width, by: 2) { rowBase[(w + 1) / 2] = line[w] }
            }
        }
    }

    /// Copies `channels` output gradients [Ho, Wo] of a stride-2 layer into planes at `padded`,
    /// channels `channelStride` floats apart, each from its first float with rows `rowStride`
    /// apart (column Wo and row Ho stay as they are: zero), as its input gradient's loop reads
    /// them.
    func padOutputGradient(
        _ image: UnsafePointer<Float>, channels: Int, into padded: UnsafeMutablePointer<Float>, channelStride: Int
    ) {
        precondition(stride == 2, "TapPlanes: output-gradient planes are for stride 2")
        for c in 0..<channels {
            let (source, target) = (image + c * outHeight * outWidth, padded + c * channelStride)
            for h in 0..<outHeight {
                (target + h * rowStride).update(from: source + h * outWidth, count: outWidth)
            }
        }
    }

    /// Copies the real positions of `channels` outputs (rows `positions` apart) into `image`
    /// [channels, Ho, Wo], adding bias[c] when given.
    func unpad(
        _ out: UnsafePointer<Float>, channels: Int, into image: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?
    ) {
        for c in 0..<channels {
            let source = out + c * positions
            let target = image + c * outHeight * outWidth
            for h in 0..<outHeight {
                let (from, to) = (source + h * rowStride, target + h * outWidth)
                if let bias {
                    let b = bias[c]
                    for w in 0..<outWidth { to[w] = from[w] + b }
                } else {
                    to.update(from: from, count: outWidth)
                }
            }
        }
    }
}
