#ifndef KD_CKERNELS_H
#define KD_CKERNELS_H

/// 1 when this CPU runs the loops below (AVX-512F, checked once), else 0: the caller then takes
/// its im2col + sgemm path. Calling them when it is 0 stops the process.
int kd_conv3x3_available(void);

/// A correlation over zero-padded planes with `taps` taps at fixed offsets, 8 output channels x
/// 32 positions at a time in AVX-512 registers (the weights broadcast, the inputs loaded
/// unaligned):
///
///   out[o * outStride + r] = sum over c < channels, t < taps of
///       weight[((o / 8) * channels + c) * taps * 8 + t * 8 + o % 8]
///       * in[c * channelStride + r + offsets[t]]
///
/// for o < 8 * outBlocks and r < positions (a multiple of 32). With a plane padded by one on
/// every side, rows W + 2 apart, and the 9 offsets i * (W + 2) + j of a 3x3 window, r = h * (W +
/// 2) + w (w < W) is the convolution with stride 1 and padding 1 (the other r are scratch); a
/// stride-2 convolution reads 4 phase planes instead (Direct3x3.swift). Every `in` index above
/// must be readable. Each output is summed in the order c, then t: the result does not depend
/// on the thread.
void kd_conv_taps(
    const float *in, long channelStride, int channels, const long *offsets, int taps, const float *weight,
    int outBlocks, float *out, long outStride, int positions);

/// The weight gradient of a 9-tap correlation as above, 3 output channels x 9 taps at a time in
/// AVX-512 registers, 16 positions per step:
///
///   dW[(o * inChannels + c) * 9 + t] = sum over j < length of
///       dy[o * channelStride + j] * x[c * channelStride + j + offsets[t]]
///
/// (set, not added). With dy laid out as the outputs (zero at the scratch positions and between
/// images) and x as the padded inputs, this is the convolution's dW over every image side by
/// side. Each sum runs over j in 16 fixed lanes, then adds the lanes in a fixed order.
void kd_conv_taps_weight_gradient(
    const float *dy, const float *x, long channelStride, int outChannels, int inChannels,
    const long offsets[9], long length, float *dW);

#endif
