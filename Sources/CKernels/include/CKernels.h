#ifndef KD_CKERNELS_H
#define KD_CKERNELS_H

#include <stdint.h>

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

/// The weight gradient of a 3x3 convolution with padding 1 and stride s over `images` images:
///
///   dW[(o * inChannels + c) * 9 + t] = sum over i < images, h < height, w < width of
///       dy[((i * outChannels + o) * height + h) * width + w]
///       * x[c * channelStride + i * imageStride + (s * h + t / 3) * rowStride + s * w + t % 3]
///
/// (set, not added, when `last`), x being the images' zero-padded planes (the input padded by
/// one on every side, rows rowStride apart, image i of channel c at c * channelStride + i *
/// imageStride), and dy the output gradient as the layer has it ([images, outChannels, height,
/// width]: height and width are the output's). Per tile of about 32 KB, dy is gathered into
/// positions x output channels; then 32 output channels (or 16 of 2 input channels) x 9 taps
/// of sums stay in AVX-512 registers while the tile's positions stream by, each input value
/// broadcast. The order of the sums is fixed: the result does not depend on
/// the thread. `work` holds kd_conv3x3_weight_gradient_work(outChannels, inChannels, width)
/// floats, the running sums among them: a run of calls over consecutive groups of images, the
/// first with `first` (the sums start at zero), the last with `last` (dW is written), sums the
/// groups' products, so a caller can pad a few images at a time (tiles start at each call's
/// first image: the result depends on the grouping, not on the thread).
void kd_conv3x3_weight_gradient(
    const float *dy, int outChannels, const float *x, long channelStride, long imageStride, long rowStride,
    int stride, int inChannels, int images, int height, int width, float *work, int first, int last, float *dW);

/// The floats of `work` that kd_conv3x3_weight_gradient needs.
long kd_conv3x3_weight_gradient_work(int outChannels, int inChannels, int width);

/// The input gradient of a stride-2 3x3 convolution with padding 1 for one image:
///
///   dx[(c * height + y) * width + x] = sum over o, (ki, kj) with y = 2 * h + ki - 1 and
///       x = 2 * w + kj - 1 of weight[o, c, ki, kj] * dy[o, h, w]
///
/// (set), height x width being the input's size. dy is the image's output gradient [outChannels,
/// Ho, Wo] laid out from `dy` with rows `rowStride` (> Wo) apart, channels `channelStride` apart,
/// zero at column Wo and row Ho, and readable up to float positions + rowStride of each channel.
/// Each of dx's 4 phases (row and column parity) is a correlation of dy with the 1, 2, 2 or 4
/// taps that land on it (`kd_conv_taps`, `positions` a multiple of 32 covering Ho rows),
/// interleaved into dx's rows.
/// `packed` is the weight as kd_conv3x3_stride2_pack_gradient lays it out; `work` holds
/// kd_conv3x3_stride2_input_gradient_work(inChannels, positions) floats. The sums' order is fixed.
void kd_conv3x3_stride2_input_gradient(
    const float *dy, long channelStride, long rowStride, long positions, int outChannels, const float *packed,
    int inChannels, int height, int width, float *work, float *dx);

/// weight [outChannels, inChannels, 3, 3] -> the 4 phases' weights one after another, each
/// [ceil(inChannels / 8), outChannels, its taps, 8] (zero past inChannels): 9 * 8 *
/// ceil(inChannels / 8) * outChannels floats in all.
void kd_conv3x3_stride2_pack_gradient(const float *weight, int outChannels, int inChannels, float *packed);

/// The floats of `work` that kd_conv3x3_stride2_input_gradient needs.
long kd_conv3x3_stride2_input_gradient_work(int inChannels, long positions);


/// The per-step scalars of an Adam update (NN/Optimizers/Adam.swift).
struct kd_adam_constants {
    float beta1, beta2, eps, stepSize, biasCorrection2Sqrt, l2, shrink;
};

/// The Adam update of `count` elements, in place:
///
///   g = grad + l2 * theta (when l2 != 0);  theta = theta * shrink;
///   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g;
///   theta = theta - stepSize * m / (sqrt(v) / biasCorrection2Sqrt + eps)
///
/// each operation rounded on its own in this order (no fused multiply-adds), so every element
/// is bit for bit the scalar expression's, whether 16 lanes run at once (AVX-512F, checked at
/// run time) or one.
void kd_adam_update(float *theta, const float *grad, float *m, float *v, long count, struct kd_adam_constants c);

/// Inverted dropout over `count` elements whose draws are SplitMix64's draws firstDraw,
/// firstDraw + 1, ... from `state` (draw d is mix(state + (d + 1) * 0x9E3779B97F4A7C15)):
///
///   mask[j] = scale when (float)(draw >> 40) * 2^-24 >= p, else 0;  y[j] = x[j] * mask[j].
///
/// 8 draws at a time with AVX-512F and DQ (checked at run time), else one by one; the same
/// bits either way.
void kd_dropout_mask(
    uint64_t state, long firstDraw, long count, float p, float scale, const float *x, float *mask, float *y);

#endif
