import CKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The direct path of a 3x3 `Conv2d` with padding 1 and stride 1 or 2 (the convolutions of the
/// CNNs' and ResNets' bodies, and the stride-2 ones that open the ResNets' stages): no im2col
/// columns, no col2im.
///
/// Each image [C, H, W] is copied into zero-padded planes (`TapPlanes`), and `kd_conv_taps`
/// (CKernels, AVX-512) sums the 9 taps of the window per output channel straight from them:
/// with stride 1 one plane per channel, the taps 9 shifted rows of it; with stride 2 the padded
/// image's 4 phase planes (even/odd rows x even/odd columns), so that every tap is again a
/// shifted row of one of them. Backward pads a few images at a time (`paddedGroupBytes`), so
/// that their planes stay in L2. The input gradient, stride 1: the same loop on the padded
/// output gradient with the weight's channels swapped and its window turned by 180 degrees;
/// stride 2 (`kd_conv3x3_stride2_input_gradient`): each of dx's 4 phases is the loop on dy with
/// the 1, 2, 2 or 4 taps that land on it, interleaved into dx's rows (ResNet-8 teacher's 32 ->
/// 64 and 64 -> 128 layers: backward 13.3 and 12.4 -> 9.5 and 10.0 ms per step against
/// im2col's input gradient). The weight gradient (`kd_conv3x3_weight_gradient`) runs over the
/// padded images as stride-1 planes and the output gradient, 32 output channels x 9 taps in
/// registers per input channel.
///
/// Results equal the im2col path's to float rounding (the sums run in another order); the
/// blocks, their order and the sums are fixed, so a run is bit-for-bit repeatable on any number
/// of cores. Used when `isAvailable` (the CPU has AVX-512F) and `KD_CONV3X3` is not `im2col`.
final class Direct3x3 {
    /// Whether `Conv2d` takes this path for the layers `applies(to:)` accepts.
    nonisolated(unsafe) static var isEnabled: Bool = isAvailable && !disabledByEnvironment

    /// The CPU runs the loops.
    static let isAvailable = kd_conv3x3_available() != 0

    /// `KD_CONV3X3=im2col` keeps every convolution on the im2col + sgemm path.
    private static let disabledByEnvironment = getenv("KD_CONV3X3").map { String(cString: $0) == "im2col" } ?? false

    /// Fewer input channels than this stay on im2col: with so few products per output, the
    /// loop's stores and the padded copy of dy cost more than the small column matrix does
    /// (the 1 -> 32 stem of cnn-torchref: forward 1.4 -> 1.7 ms, backward 1.1 -> 2.7 ms).
    static let minimumInChannels = 8

    /// About how many bytes of padded images (x, and dy for dx) backward fills at a time: a few
    /// images, whose planes stay in L2 while the loops read them.
    static let paddedGroupBytes = 1 << 19

    /// Whether a layer with this geometry takes the direct forward: a 3x3 window, padding 1,
    /// stride 1 or 2, at least `minimumInChannels` input channels.
    static func applies(to g: Window2d) -> Bool {
        isEnabled && g.kernel == 3 && g.padding == 1 && (g.stride == 1 || g.stride == 2)
            && g.channels >= minimumInChannels
    }

    /// Forward scratch per block: one padded image [Cin, planeStride], then its output
    /// [8 * ceil(Cout / 8), positions].
    private let forwardScratch = Tensor(shape: [0])
    /// Backward scratch per block: a group of padded images [Cin, n, phaseStride] and, when dx
    /// is wanted, their padded dy [Cout, n, phaseStride] (n images at a time), one image's input
    /// gradient work, and the weight gradient's work.
    private let backwardScratch = Tensor(shape: [0])
    /// The weight as the forward reads it, [ceil(Cout / 8), Cin, 9, 8] (zero past Cout).
    private let packedWeight = Tensor(shape: [0])
    /// The weight of the input gradient, [ceil(Cin / 8), Cout, 9, 8]: w[o, c, 8 - k] at (c, o, k);
    /// zero past Cin.
    private let packedGradientWeight = Tensor(shape: [0])
    /// What the scratch's zero borders were laid out for.
    private var forwardLayout = ScratchLayout()
    private var backwardLayout = ScratchLayout()
    /// The planes of the last geometry, rebuilt only when it changes.
    private var planes: TapPlanes?

    private func planes(for g: Window2d) -> TapPlanes {
        if let planes, planes.matches(g) { return planes }
        let fresh = TapPlanes(g)
        planes = fresh
        return fresh
    }

    /// The stride-1 planes of a stride-2 layer's input (its weight gradient's), kept likewise.
    private var unstridedPlanes: TapPlanes?

    private func unstridedPlanes(for g: Window2d) -> TapPlanes {
        if let unstridedPlanes, unstridedPlanes.height == g.height, unstridedPlanes.width == g.width {
            return unstridedPlanes
        }
        let fresh = TapPlanes(unstridedInputOf: g)
        unstridedPlanes = fresh
        return fresh
    }

    /// x [N, Cin, H, W] -> y [N, Cout, Ho, Wo] (y already shaped), plus bias when given.
    func forward(
        _ x: UnsafePointer<Float>, batch: Int, geometry g: Window2d, weight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, outChannels: Int, y: UnsafeMutablePointer<Float>
    ) {
        let planes = planes(for: g)
        let blocks = SampleBlocks(batch: batch, count: min(batch, Conv2d.blockCount))
        let outBlocks = (outChannels + 7) / 8
        let perBlock = g.channels * planes.planeStride + outBlocks * 8 * planes.positions
        prepare(forwardScratch, count: blocks.count * perBlock, layout: &forwardLayout, key: ScratchLayout(g, batch))
        packForward(weight, outChannels: outChannels, inChannels: g.channels)
        forwardScratch.data.withUnsafeMutableBufferPointer { scratch in
            packedWeight.data.withUnsafeBufferPointer { packed in
                planes.forwardOffsets.withUnsafeBufferPointer { offsets in
                    let job = DirectForwardBlocks(
                        planes: planes, inChannels: g.channels, outChannels: outChannels, blocks: blocks, x: x,
                        offsets: offsets.baseAddress!, packedWeight: packed.baseAddress!, bias: bias,
                        scratch: scratch.baseAddress!, perBlock: perBlock, y: y)
                    if batch == 1 {  // one image: its output channels spread over the cores instead,
                        // when there is enough work to pay for waking them (as for sgemm)
                        planes.pad(
                            x, channels: g.channels, into: scratch.baseAddress!, channelStride: planes.planeStride)
                        let work = outBlocks * 8 * g.channels * 9 * planes.positions
                        let perThread = work >= BLASProduct.parallelWork ? 1 : outBlocks
                        return Parallel.forRanges(outBlocks, minimumPerThread: perThread, align: 1, job.channelBlocks)
                    }
                    Parallel.forRanges(blocks.count, minimumPerThread: 1, align: 1, job)
                }
            }
        }
    }

    /// Per block of samples: partial dW [Cout, Cin*9] and (when `biasGradient`) db [Cout] at
    /// `partialGradients + block * gradientSize` (set, not added), and dx [N, Cin, H, W] when
    /// given (set).
    func backward(
        _ x: UnsafePointer<Float>, dy: UnsafePointer<Float>, batch: Int, geometry g: Window2d,
        weight: UnsafePointer<Float>, outChannels: Int, partialGradients: UnsafeMutablePointer<Float>,
        gradientSize: Int, biasGradient: Bool, dx: UnsafeMutablePointer<Float>?
    ) {
        // x padded as stride-1 planes (the weight gradient's); dy padded as dx's loop reads it.
        let inputPlanes = g.stride == 1 ? planes(for: g) : unstridedPlanes(for: g)
        let outputPlanes = planes(for: g)
        let blocks = SampleBlocks(batch: batch, count: min(batch, Conv2d.blockCount))
        let paddedImage =
            g.channels * inputPlanes.phaseStride + (dx == nil ? 0 : outChannels * outputPlanes.phaseStride)
        let slots = max(
            1,
            min(
                (batch + blocks.count - 1) / blocks.count,
                Self.paddedGroupBytes / (MemoryLayout<Float>.size * paddedImage)))
        let inputGradientWork =
            g.stride == 1
            ? (g.channels + 7) / 8 * 8 * outputPlanes.positions
            : kd_conv3x3_stride2_input_gradient_work(Int32(g.channels), outputPlanes.positions)
        let perBlock =
            slots * paddedImage + inputGradientWork
            + kd_conv3x3_weight_gradient_work(Int32(outChannels), Int32(g.channels), Int32(g.outWidth))
        prepare(
            backwardScratch, count: blocks.count * perBlock, layout: &backwardLayout,
            key: ScratchLayout(g, batch, perBlock: perBlock))
        if dx != nil { packGradient(weight, outChannels: outChannels, inChannels: g.channels, stride: g.stride) }
        backwardScratch.data.withUnsafeMutableBufferPointer { scratch in
            packedGradientWeight.data.withUnsafeBufferPointer { packed in
                outputPlanes.forwardOffsets.withUnsafeBufferPointer { offsets in
                    let job = DirectBackwardBlocks(
                        inputPlanes: inputPlanes, outputPlanes: outputPlanes, inChannels: g.channels,
                        outChannels: outChannels, blocks: blocks, stride: g.stride, slots: slots, x: x, dy: dy,
                        offsets: offsets.baseAddress!, packedGradientWeight: packed.baseAddress,
                        scratch: scratch.baseAddress!, perBlock: perBlock, inputGradientWork: inputGradientWork,
                        partialGradients: partialGradients,
                        gradientSize: gradientSize, biasGradient: biasGradient, dx: dx)
                    Parallel.forRanges(blocks.count, minimumPerThread: 1, align: 1, job)
                }
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

    /// weight [Cout, Cin, 3, 3] -> [ceil(Cout/8), Cin, 9, 8], tap k = 3 * ki + kj; zero past Cout.
    private func packForward(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int) {
        let blocks = (outChannels + 7) / 8
        packedWeight.resize(blocks * inChannels * 72)
        packedWeight.data.withUnsafeMutableBufferPointer { p in
            for block in 0..<blocks {
                for c in 0..<inChannels {
                    for lane in 0..<8 {
                        let o = block * 8 + lane
                        for k in 0..<9 {
                            p[(block * inChannels + c) * 72 + k * 8 + lane] =
                                o < outChannels ? weight[(o * inChannels + c) * 9 + k] : 0
                        }
                    }
                }
            }
        }
    }

    /// The weight of the input gradient. Stride 1: [Cout, Cin, 3, 3] -> [ceil(Cin/8), Cout, 9, 8]
    /// holding w[o, c, 8 - k], tap k of the input gradient reading the padded dy at forward tap
    /// k's offset; zero past Cin. Stride 2: as `kd_conv3x3_stride2_pack_gradient` lays it out
    /// (as many floats).
    private func packGradient(_ weight: UnsafePointer<Float>, outChannels: Int, inChannels: Int, stride: Int) {
        let blocks = (inChannels + 7) / 8
        packedGradientWeight.resize(blocks * outChannels * 72)
        packedGradientWeight.data.withUnsafeMutableBufferPointer { p in
            if stride == 2 {
                return kd_conv3x3_stride2_pack_gradient(
                    weight, Int32(outChannels), Int32(inChannels), p.baseAddress!)
            }
            for block in 0..<blocks {
                for o in 0..<outChannels {
                    for lane in 0..<8 {
                        let c = block * 8 + lane
                        for k in 0..<9 {
                            p[(block * outChannels + o) * 72 + k * 8 + lane] =
                                c < inChannels ? weight[(o * inChannels + c) * 9 + 8 - k] : 0
                        }
                    }
                }
            }
        }
    }
}

/// What a scratch buffer of `Direct3x3` was zeroed for (an allocation-free comparison).
private struct ScratchLayout: Equatable {
    var batch = 0
    var channels = 0
    var height = 0
    var width = 0
    /// Backward: floats per block (their layout differs with and without dx).
    var perBlock = 0

    init() {}

    init(_ g: Window2d, _ batch: Int, perBlock: Int = 0) {
        (self.batch, channels, height, width, self.perBlock) = (batch, g.channels, g.height, g.width, perBlock)
    }
}
