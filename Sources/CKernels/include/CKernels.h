#ifndef KD_CKERNELS_H
#define KD_CKERNELS_H

/// 1 when this CPU runs `kd_conv3x3_padded` (AVX-512F, checked once), else 0: the caller then
/// takes its im2col + sgemm path.
int kd_conv3x3_available(void);

/// A 3x3, stride-1 cross-correlation over zero-padded planes, 8 output channels x 32 positions
/// at a time in AVX-512 registers (the weights broadcast, the input rows loaded unaligned):
///
///   out[o * outStride + r] = sum over c < channels, k < 9 of
///       weight[((o / 8) * channels + c) * 72 + k * 8 + o % 8]
///       * in[c * channelStride + r + (k / 3) * rowStride + k % 3]
///
/// for o < 8 * outBlocks and r < positions (a multiple of 32). A plane padded by one on every
/// side with rows `rowStride` = W + 2 apart gives the convolution with padding 1 at r = h *
/// rowStride + w (w < W; the other r are scratch). Every `in` index above must be readable.
/// Each output is summed in the order c, then k: the result does not depend on the thread.
void kd_conv3x3_padded(
    const float *in, long channelStride, int channels, int rowStride, const float *weight, int outBlocks,
    float *out, long outStride, int positions);

/// The weight gradient of that convolution, 3 output channels x 9 offsets at a time in AVX-512
/// registers, 16 positions per step:
///
///   dW[(o * inChannels + c) * 9 + k] = sum over j < length of
///       dy[o * channelStride + j] * x[c * channelStride + j + (k / 3) * rowStride + k % 3]
///
/// (set, not added). With `dy` pointing at padded output gradients' row 1, column 1 and `x` at
/// the padded inputs, zero borders make this the convolution's dW over every image side by side.
/// Each sum runs over j in 16 fixed lanes, then adds the lanes in a fixed order.
void kd_conv3x3_weight_gradient(
    const float *dy, const float *x, long channelStride, int outChannels, int inChannels, int rowStride,
    long length, float *dW);

#endif
