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

/// The backward of a range of blocks, a group of `slots` images at a time: the group's images
/// padded side by side as stride-1 planes ([Cin, slots, phaseStride]) and, when dx is wanted, its
/// dy as dx's loop reads it ([Cout, slots, phaseStride] of `outputPlanes`); dW by
/// `kd_conv3x3_weight_gradient` summed over the groups, then db by sums (layers with a bias);
/// dx per sample: stride 1, the forward's loop on the padded dy with the flipped weight; stride
/// 2, `kd_conv3x3_stride2_input_gradient`.
struct DirectBackwardBlocks: RangeJob {
    /// Stride-1 planes of the input.
    let inputPlanes: TapPlanes
    /// The layer's planes (stride 1: the same): where dy is padded for dx.
    let outputPlanes: TapPlanes
    let inChannels: Int
    let outChannels: Int
    let blocks: SampleBlocks
    /// The layer's stride (1 or 2).
    let stride: Int
    /// Images padded at a time.
    let slots: Int
    /// [N, Cin, H, W].
    let x: UnsafePointer<Float>
    /// [N, Cout, Ho, Wo].
    let dy: UnsafePointer<Float>
    /// The 9 taps' offsets (stride 1).
    let offsets: UnsafePointer<Int>
    /// Stride 1: [ceil(Cin/8), Cout, 9, 8]; stride 2: `kd_conv3x3_stride2_pack_gradient`'s
    /// layout; nil when dx is not wanted.
    let packedGradientWeight: UnsafePointer<Float>?
    let scratch: UnsafeMutablePointer<Float>
    let perBlock: Int
    /// Floats of one image's input-gradient work in each block's scratch.
    let inputGradientWork: Int
    /// Per block: dW [Cout, Cin*9], then db [Cout] (set only when `biasGradient`).
    let partialGradients: UnsafeMutablePointer<Float>
    let gradientSize: Int
    let biasGradient: Bool
    /// [N, Cin, H, W], or nil.
    let dx: UnsafeMutablePointer<Float>?

    func run(_ range: Range<Int>) {
        let (cin, cout, input) = (inChannels, outChannels, inputPlanes)
        let (plane, outPlane) = (input.height * input.width, outputPlanes.outHeight * outputPlanes.outWidth)
        let (xStride, dyStride) = (slots * input.phaseStride, slots * outputPlanes.phaseStride)
        for block in range {
            let paddedX = scratch + block * perBlock
            let paddedDy = paddedX + cin * xStride
            let gradientWork = paddedDy + (dx == nil ? 0 : cout * dyStride)
            let weightWork = gradientWork + inputGradientWork
            let samples = blocks.samples(block)
            let dW = partialGradients + block * gradientSize
            for start in Swift.stride(from: samples.lowerBound, to: samples.upperBound, by: slots) {
                let group = start..<min(start + slots, samples.upperBound)
                for i in group {
                    let slot = i - start
                    input.pad(
                        x + i * cin * plane, channels: cin, into: paddedX + slot * input.phaseStride,
                        channelStride: xStride)
                    guard dx != nil else { continue }
                    let target = paddedDy + slot * outputPlanes.phaseStride
                    if stride == 1 {
                        input.pad(dy + i * cout * outPlane, channels: cout, into: target, channelStride: dyStride)
                    } else {
                        outputPlanes.padOutputGradient(
                            dy + i * cout * outPlane, channels: cout, into: target, channelStride: dyStride)
                    }
                }
                kd_conv3x3_weight_gradient(
                    dy + start * cout * outPlane, Int32(cout), paddedX, xStride, input.phaseStride, input.rowStride,
                    Int32(stride), Int32(cin), Int32(group.count), Int32(outputPlanes.outHeight),
                    Int32(outputPlanes.outWidth), weightWork, group.lowerBound == samples.lowerBound ? 1 : 0,
                    group.upperBound == samples.upperBound ? 1 : 0, dW)
                guard let dx, let packedGradientWeight else { continue }
                for i in group {
                    let paddedImage = paddedDy + (i - start) * outputPlanes.phaseStride
                    if stride == 2 {
                        kd_conv3x3_stride2_input_gradient(
                            paddedImage, dyStride, outputPlanes.rowStride, outputPlanes.positions, Int32(cout),
                            packedGradientWeight, Int32(cin), Int32(input.height), Int32(input.width), gradientWork,
                            dx + i * cin * plane)
                        continue
                    }
                    kd_conv_taps(
                        paddedImage, dyStride, Int32(cout), offsets, 9, packedGradientWeight, Int32((cin + 7) / 8),
                        gradientWork, input.positions, Int32(input.positions))
                    input.unpad(gradientWork, channels: cin, into: dx + i * cin * plane, bias: nil)
                }
            }
            if biasGradient {
                let db = dW + cout * cin * 9
                for o in 0..<cout {
                    var sum: Float = 0
                    for i in samples { sum += sumOf(dy + (i * cout + o) * outPlane, outPlane) }
                    db[o] = sum
                }
            }
        }
    }
}
