import CKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The direct path of a 3x3, stride-1, padding-1 `Conv2d` (the body convolutions of the CNNs
/// and ResNets): no im2col columns, no col2im.
///
/// Each image [C, H, W] is copied into a zero-padded plane per channel, rows `W + 2` apart, and
/// `kd_conv3x3_padded` (CKernels, AVX-512) sums the 9 shifted rows per output channel straight
/// from it. The input gradient is the same kernel on the padded output gradient with the
/// weight's channels swapped and its 3x3 window turned by 180 degrees. The weight gradient
/// (`kd_conv3x3_weight_gradient`) runs once per block of samples over the padded planes of the
/// block's images laid side by side, whose zero borders make the shifted products exact.
///
/// Results equal the im2col path's to float rounding (the sums run in another order); the
/// blocks, their order and the sums are fixed, so a run is bit-for-bit repeatable on any number
/// of cores. Used when `isAvailable` (the CPU has AVX-512F) and `KD_CONV3X3` is not `im2col`.
final class Direct3x3 {
    /// Whether `Conv2d` takes this path for its 3x3 stride-1 padding-1 layers.
    nonisolated(unsafe) static var isEnabled: Bool = isAvailable && !disabledByEnvironment

    /// The CPU runs the kernel.
    static let isAvailable = kd_conv3x3_available() != 0

    /// `KD_CONV3X3=im2col` keeps every convolution on the im2col + sgemm path.
    private static let disabledByEnvironment = getenv("KD_CONV3X3").map { String(cString: $0) == "im2col" } ?? false

    /// Fewer input channels than this stay on im2col: with so few products per output, the
    /// kernel's stores and the padded copy of dy cost more than the small column matrix does
    /// (the 1 -> 32 stem of cnn-torchref: forward 1.4 -> 1.7 ms, backward 1.1 -> 2.7 ms).
    static let minimumInChannels = 8

    /// Whether a layer with this geometry can take the direct path.
    static func applies(to g: Window2d) -> Bool {
        isEnabled && g.kernel == 3 && g.stride == 1 && g.padding == 1 && g.channels >= minimumInChannels
    }

    /// Forward scratch per block: one padded image [Cin, planeStride], then its output
    /// [8 * ceil(Cout / 8), positions].
    private let forwardScratch = Tensor(shape: [0])
    /// Backward scratch per block: padded images [Cin, n, planeStride] and padded dy
    /// [Cout, n, planeStride] (n = the most samples of a block), and one image's input gradient
    /// [8 * ceil(Cin / 8), positions].
    private let backwardScratch = Tensor(shape: [0])
    /// The weight as the kernel reads it, [ceil(Cout / 8), Cin, 9, 8] (zero past Cout).
    private let packedWeight = Tensor(shape: [0])
    /// The weight of the input gradient, [ceil(Cin / 8), Cout, 9, 8]: w[o, c, 8 - k] at (c, o, k).
    private let packedGradientWeight = Tensor(shape: [0])
    /// The (batch, floats per block) the scratch's zero borders were laid out for.
    private var forwardLayout = ScratchLayout(batch: 0, perBlock: 0)
    private var backwardLayout = ScratchLayout(batch: 0, perBlock: 0)

    /// x [N, Cin, H, W] -> y [N, Cout, H, W] (y already shaped), plus bias when given.
    func forward(
        _ x: UnsafePointer<Float>, batch: Int, geometry g: Window2d, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, outChannels: Int, y: UnsafeMutablePointer<Float>
    ) {
        let planes = PaddedPlanes(g)
        let blocks = SampleBlocks(batch: batch, count: min(batch, Conv2d.blockCount))
        let outBlocks = (outChannels + 7) / 8
        let perBlock = g.channels * planes.planeStride + outBlocks * 8 * planes.positions
        prepare(
            forwardScratch, count: blocks.count * perBlock, layout: &forwardLayout,
            key: ScratchLayout(batch: batch, perBlock: perBlock))
        pack(weight, outChannels: outChannels, inChannels: g.channels, flipped: false, into: packedWeight)
        forwardScratch.data.withUnsafeMutableBufferPointer { scratch in
            packedWeight.data.withUnsafeBufferPointer { packed in
                if batch == 1 {  // one image: its output channels spread over the cores instead
                    planes.pad(x, channels: g.channels, into: scratch.baseAddress!, stride: planes.planeStride)
                    let job = DirectForwardChannelBlocks(
                        planes: planes, inChannels: g.channels, outChannels: outChannels,
                        padded: scratch.baseAddress!, packedWeight: packed.baseAddress!, bias: bias,
                        out: scratch.baseAddress! + g.channels * planes.planeStride, y: y)
                    return Parallel.forRanges(outBlocks, minimumPerThread: 1, align: 1, job)
                }
                let job = DirectForwardBlocks(
                    planes: planes, inChannels: g.channels, outChannels: outChannels, blocks: blocks, x: x,
                    packedWeight: packed.baseAddress!, bias: bias, scratch: scratch.baseAddress!, perBlock: perBlock,
                    y: y)
                Parallel.forRanges(blocks.count, minimumPerThread: 1, align: 1, job)
            }
        }
    }

    /// Per block of samples: partial dW [Cout, Cin*9] and db [Cout] at `partialGradients + block
    /// * gradientSize` (set, not added), and dx [N, Cin, H, W] when given (set).
    func backward(
        _ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int, geometry g: Window2d,
        weight: UnsafePointer<Float>, outChannels: Int, partialGradients: UnsafeMutablePointer<Float>,
        gradientSize: Int, dx: UnsafeMutablePointer<Float>?
    ) {
        let planes = PaddedPlanes(g)
        let blocks = SampleBlocks(batch: batch, count: min(batch, Conv2d.blockCount))
        let slots = (batch + blocks.count - 1) / blocks.count
        let inBlocks = (g.channels + 7) / 8
        let perBlock = (g.channels + outChannels) * slots * planes.planeStride + inBlocks * 8 * planes.positions
        prepare(
            backwardScratch, count: blocks.count * perBlock, layout: &backwardLayout,
            key: ScratchLayout(batch: batch, perBlock: perBlock))
        if dx != nil {
            pack(weight, outChannels: outChannels, inChannels: g.channels, flipped: true, into: packedGradientWeight)
        }
        backwardScratch.data.withUnsafeMutableBufferPointer { scratch in
            packedGradientWeight.data.withUnsafeBufferPointer { packed in
                let job = DirectBackwardBlocks(
                    planes: planes, inChannels: g.channels, outChannels: outChannels, blocks: blocks, slots: slots,
                    x: x, dy: dy, packedGradientWeight: packed.baseAddress, scratch: scratch.baseAddress!,
                    perBlock: perBlock, partialGradients: partialGradients, gradientSize: gradientSize, dx: dx)
                Parallel.forRanges(blocks.count, minimumPerThread: 1, align: 1, job)
            }
        }
    }

    /// Sizes `scratch` to `count` and zeroes it when the layout changed, so the padded planes'
    /// borders are zero; later calls with the same layout only rewrite the planes' interiors.
    private func prepare(_ scratch: Tensor, count: Int, layout: inout ScratchLayout, key: ScratchLayout) {
        scratch.resize(count)
        if layout != key {
            layout = key
            scratch.data.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// weight [Cout, Cin, 3, 3] -> [ceil(Cout/8), Cin, 9, 8] (forward), or flipped -> [ceil(Cin/8),
    /// Cout, 9, 8] holding w[o, c, 8 - k] (the input gradient's); zero past the real channels.
    private func pack(
        _ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int, flipped: Bool, into packed: Tensor
    ) {
        let (lanes, reduced) = flipped ? (inChannels, outChannels) : (outChannels, inChannels)
        let blocks = (lanes + 7) / 8
        packed.resize(blocks * reduced * 72)
        packed.data.withUnsafeMutableBufferPointer { p in
            for block in 0..<blocks {
                for r in 0..<reduced {
                    let base = (block * reduced + r) * 72
                    for lane in 0..<8 {
                        let l = block * 8 + lane
                        for k in 0..<9 {
                            guard l < lanes else {
                                p[base + k * 8 + lane] = 0
                                continue
                            }
                            p[base + k * 8 + lane] =
                                flipped
                                ? weight[(r * inChannels + l) * 9 + 8 - k] : weight[(l * inChannels + r) * 9 + k]
                        }
                    }
                }
            }
        }
    }
}

/// What a scratch buffer of `Direct3x3` was zeroed for (an allocation-free comparison).
private struct ScratchLayout: Equatable {
    let batch: Int
    let perBlock: Int
}

/// The zero-padded planes of a [C, H, W] image for the 3x3 kernel: rows `rowStride` = W + 2
/// apart, the image at row 1, column 1; `positions` (H * rowStride rounded up to 32) outputs per
/// channel, of which r = h * rowStride + w (w < W) are the real ones; `planeStride` floats per
/// plane, enough that every read of the kernel stays inside the plane.
struct PaddedPlanes {
    let height: Int
    let width: Int
    let rowStride: Int
    let positions: Int
    let planeStride: Int

    init(_ g: Window2d) {
        height = g.height
        width = g.width
        rowStride = g.width + 2
        positions = (g.height * rowStride + 31) / 32 * 32
        planeStride = positions + 2 * rowStride + 2
    }

    /// Copies `channels` planes [H, W] of `image` into the padded planes at `padded`, `stride`
    /// floats apart (their borders stay as they are: zero).
    func pad(_ image: UnsafePointer<Float>, channels: Int, into padded: UnsafeMutablePointer<Float>, stride: Int) {
        for c in 0..<channels {
            let source = image + c * height * width
            let target = padded + c * stride + rowStride + 1
            for h in 0..<height { (target + h * rowStride).update(from: source + h * width, count: width) }
        }
    }

    /// Copies the real positions of `channels` kernel outputs (rows `positions` apart) into
    /// `image` [channels, H, W], adding bias[c] when given.
    func unpad(
        _ out: UnsafePointer<Float>, channels: Int, into image: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?
    ) {
        for c in 0..<channels {
            let source = out + c * positions
            let target = image + c * height * width
            for h in 0..<height {
                let (from, to) = (source + h * rowStride, target + h * width)
                if let bias {
                    let b = bias[c]
                    for w in 0..<width { to[w] = from[w] + b }
                } else {
                    to.update(from: from, count: width)
                }
            }
        }
    }
}

/// The forward of a range of blocks: per sample, pad the image, run the kernel, copy the real
/// outputs (plus bias) into y.
private struct DirectForwardBlocks: RangeJob {
    let planes: PaddedPlanes
    let inChannels: Int
    let outChannels: Int
    let blocks: SampleBlocks
    /// [N, Cin, H, W].
    let x: UnsafePointer<Float>
    /// [ceil(Cout/8), Cin, 9, 8].
    let packedWeight: UnsafePointer<Float>
    /// [Cout], or nil.
    let bias: UnsafePointer<Float>?
    let scratch: UnsafeMutablePointer<Float>
    let perBlock: Int
    /// [N, Cout, H, W].
    let y: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        let imageCount = inChannels * planes.height * planes.width
        let outCount = outChannels * planes.height * planes.width
        for block in range {
            let padded = scratch + block * perBlock
            let out = padded + inChannels * planes.planeStride
            for i in blocks.samples(block) {
                planes.pad(x + i * imageCount, channels: inChannels, into: padded, stride: planes.planeStride)
                kd_conv3x3_padded(
                    padded, planes.planeStride, Int32(inChannels), Int32(planes.rowStride), packedWeight,
                    Int32((outChannels + 7) / 8), out, planes.positions, Int32(planes.positions))
                planes.unpad(out, channels: outChannels, into: y + i * outCount, bias: bias)
            }
        }
    }
}

/// The forward of one padded image for a range of blocks of 8 output channels: the kernel, then
/// the real outputs (plus bias) into y.
private struct DirectForwardChannelBlocks: RangeJob {
    let planes: PaddedPlanes
    let inChannels: Int
    let outChannels: Int
    /// [Cin, planeStride], padded.
    let padded: UnsafePointer<Float>
    /// [ceil(Cout/8), Cin, 9, 8].
    let packedWeight: UnsafePointer<Float>
    /// [Cout], or nil.
    let bias: UnsafePointer<Float>?
    /// [8 * ceil(Cout/8), positions].
    let out: UnsafeMutablePointer<Float>
    /// [1, Cout, H, W].
    let y: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        let first = range.lowerBound * 8
        kd_conv3x3_padded(
            padded, planes.planeStride, Int32(inChannels), Int32(planes.rowStride),
            packedWeight + range.lowerBound * inChannels * 72, Int32(range.count), out + first * planes.positions,
            planes.positions, Int32(planes.positions))
        planes.unpad(
            out + first * planes.positions, channels: min(outChannels, range.upperBound * 8) - first,
            into: y + first * planes.height * planes.width, bias: bias.map { $0 + first })
    }
}

/// The backward of a range of blocks: pad the block's images and output gradients side by side
/// ([C, n, planeStride]), dW by one kernel call over all n images at once, db by sums, and (when
/// dx is wanted) per sample the kernel on the padded dy with the flipped weight.
private struct DirectBackwardBlocks: RangeJob {
    let planes: PaddedPlanes
    let inChannels: Int
    let outChannels: Int
    let blocks: SampleBlocks
    /// Image slots per channel in the block's padded buffers.
    let slots: Int
    /// [N, Cin, H, W].
    let x: UnsafePointer<Float>
    /// [N, Cout, H, W].
    let dy: UnsafePointer<Float>
    /// [ceil(Cin/8), Cout, 9, 8], or nil when dx is not wanted.
    let packedGradientWeight: UnsafePointer<Float>?
    let scratch: UnsafeMutablePointer<Float>
    let perBlock: Int
    /// Per block: dW [Cout, Cin*9], then db [Cout].
    let partialGradients: UnsafeMutablePointer<Float>
    let gradientSize: Int
    /// [N, Cin, H, W], or nil.
    let dx: UnsafeMutablePointer<Float>?

    func run(_ range: Range<Int>) {
        let (cin, cout, plane) = (inChannels, outChannels, planes.height * planes.width)
        let channelStride = slots * planes.planeStride
        for block in range {
            let paddedX = scratch + block * perBlock
            let paddedDy = paddedX + cin * channelStride
            let gradientOut = paddedDy + cout * channelStride
            let samples = blocks.samples(block)
            for i in samples {
                let slot = i - samples.lowerBound
                planes.pad(
                    x + i * cin * plane, channels: cin, into: paddedX + slot * planes.planeStride, stride: channelStride
                )
                planes.pad(
                    dy + i * cout * plane, channels: cout, into: paddedDy + slot * planes.planeStride,
                    stride: channelStride)
            }
            // dW[o, c, k] = Σ_j dy_padded[o, j + rowStride + 1] * x_padded[c, j + offset_k]: the zero
            // borders and gaps of dy_padded keep every product outside the real outputs at zero.
            let row = planes.rowStride
            let dW = partialGradients + block * gradientSize
            kd_conv3x3_weight_gradient(
                paddedDy + row + 1, paddedX, channelStride, Int32(cout), Int32(cin), Int32(row),
                samples.count * planes.planeStride - 2 * row - 2, dW)
            let db = dW + cout * cin * 9
            for o in 0..<cout {
                var sum: Float = 0
                for i in samples { sum += sumOf(dy + (i * cout + o) * plane, plane) }
                db[o] = sum
            }
            guard let dx, let packedGradientWeight else { continue }
            for i in samples {
                let slot = i - samples.lowerBound
                kd_conv3x3_padded(
                    paddedDy + slot * planes.planeStride, channelStride, Int32(cout), Int32(row), packedGradientWeight,
                    Int32((cin + 7) / 8), gradientOut, planes.positions, Int32(planes.positions))
                planes.unpad(gradientOut, channels: cin, into: dx + i * cin * plane, bias: nil)
            }
        }
    }
}
