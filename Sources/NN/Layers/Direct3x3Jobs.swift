import CKernels

/// The forward of a range of blocks: per sample, pad the image, run the loop, copy the real
/// outputs (plus bias) into y.
struct DirectForwardBlocks: RangeJob {
    let planes: TapPlanes
    let inChannels: Int
    let outChannels: Int
    let blocks: SampleBlocks
    /// [N, Cin, H, W].
    let x: UnsafePointer<Float>
    /// The 9 taps' offsets.
    let offsets: UnsafePointer<Int>
    /// [ceil(Cout/8), Cin, 9, 8].
    let packedWeight: UnsafePointer<Float>
    /// [Cout], or nil.
    let bias: UnsafePointer<Float>?
    let scratch: UnsafeMutablePointer<Float>
    let perBlock: Int
    /// [N, Cout, Ho, Wo].
    let y: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        let imageCount = inChannels * planes.height * planes.width
        let outCount = outChannels * planes.outHeight * planes.outWidth
        for block in range {
            let padded = scratch + block * perBlock
            let out = padded + inChannels * planes.planeStride
            for i in blocks.samples(block) {
                planes.pad(x + i * imageCount, channels: inChannels, into: padded, channelStride: planes.planeStride)
                kd_conv_taps(
                    padded, planes.planeStride, Int32(inChannels), offsets, 9, packedWeight,
                    Int32((outChannels + 7) / 8), out, planes.positions, Int32(planes.positions))
                planes.unpad(out, channels: outChannels, into: y + i * outCount, bias: bias)
            }
        }
    }

    /// The same forward for one image already padded in block 0's scratch, over a range of
    /// blocks of 8 output channels instead of samples.
    var channelBlocks: ChannelBlocks { ChannelBlocks(job: self) }

    struct ChannelBlocks: RangeJob {
        let job: DirectForwardBlocks

        func run(_ range: Range<Int>) {
            let (planes, first) = (job.planes, range.lowerBound * 8)
            let out = job.scratch + job.inChannels * planes.planeStride + first * planes.positions
            kd_conv_taps(
                job.scratch, planes.planeStride, Int32(job.inChannels), job.offsets, 9,
                job.packedWeight + range.lowerBound * job.inChannels * 72, Int32(range.count), out,
                planes.positions, Int32(planes.positions))
            planes.unpad(
                out, channels: min(job.outChannels, range.upperBound * 8) - first,
                into: job.y + first * planes.outHeight * planes.outWidth, bias: job.bias.map { $0 + first })
        }
    }
}

/// The backward of a range of blocks: dW by `kd_conv3x3_weight_gradient` over the block's
/// images padded side by side ([Cin, n, phaseStride], stride-1 planes of the input) and its dy
/// as the layer has it, db by sums (layers with a bias), and (when dx is wanted: stride 1) per
/// sample the forward's loop on the padded dy ([Cout, n, phaseStride]) with the flipped weight.
struct DirectBackwardBlocks: RangeJob {
    /// Stride-1 planes of the input.
    let planes: TapPlanes
    let inChannels: Int
    let outChannels: Int
    let blocks: SampleBlocks
    /// The layer's stride (1 or 2) and output size.
    let stride: Int
    let outHeight: Int
    let outWidth: Int
    /// Image slots per channel in the block's padded buffers.
    let slots: Int
    /// [N, Cin, H, W].
    let x: UnsafePointer<Float>
    /// [N, Cout, H, W].
    let dy: UnsafePointer<Float>
    /// The 9 taps' offsets.
    let offsets: UnsafePointer<Int>
    /// [ceil(Cin/8), Cout, 9, 8], or nil when dx is not wanted.
    let packedGradientWeight: UnsafePointer<Float>?
    let scratch: UnsafeMutablePointer<Float>
    let perBlock: Int
    /// Per block: dW [Cout, Cin*9], then db [Cout] (set only when `biasGradient`).
    let partialGradients: UnsafeMutablePointer<Float>
    let gradientSize: Int
    let biasGradient: Bool
    /// [N, Cin, H, W], or nil.
    let dx: UnsafeMutablePointer<Float>?

    func run(_ range: Range<Int>) {
        let (cin, cout, plane, outPlane) = (inChannels, outChannels, planes.height * planes.width, outHeight * outWidth)
        // dx (stride 1: outPlane == plane) reads dy padded like the input.
        let channelStride = slots * planes.phaseStride
        for block in range {
            let paddedX = scratch + block * perBlock
            let paddedDy = paddedX + cin * channelStride
            let gradientOut = paddedDy + cout * channelStride
            let work = gradientOut + (cin + 7) / 8 * 8 * planes.positions
            let samples = blocks.samples(block)
            for i in samples {
                let slot = (i - samples.lowerBound) * planes.phaseStride
                planes.pad(x + i * cin * plane, channels: cin, into: paddedX + slot, channelStride: channelStride)
                guard dx != nil else { continue }
                planes.pad(
                    dy + i * cout * outPlane, channels: cout, into: paddedDy + slot, channelStride: channelStride)
            }
            let dW = partialGradients + block * gradientSize
            kd_conv3x3_weight_gradient(
                dy + samples.lowerBound * cout * outPlane, Int32(cout), paddedX, channelStride, planes.phaseStride,
                planes.rowStride, Int32(stride), Int32(cin), Int32(samples.count), Int32(outHeight), Int32(outWidth),
                work, dW)
            if biasGradient {
                let db = dW + cout * cin * 9
                for o in 0..<cout {
                    var sum: Float = 0
                    for i in samples { sum += sumOf(dy + (i * cout + o) * outPlane, outPlane) }
                    db[o] = sum
                }
            }
            guard let dx, let packedGradientWeight else { continue }
            for i in samples {
                let slot = (i - samples.lowerBound) * planes.phaseStride
                kd_conv_taps(
                    paddedDy + slot, channelStride, Int32(cout), offsets, 9, packedGradientWeight,
                    Int32((cin + 7) / 8), gradientOut, planes.positions, Int32(planes.positions))
                planes.unpad(gradientOut, channels: cin, into: dx + i * cin * plane, bias: nil)
            }
        }
    }
}
