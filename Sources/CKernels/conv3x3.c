// The direct 3x3 convolution loops of CKernels.h (see there for the contracts).
#include "CKernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int kd_conv3x3_available(void) {
    static int available = -1;
    if (available < 0) available = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return available;
}

__attribute__((target("avx512f"))) static void conv_taps_avx512(
    const float *in, long channelStride, int channels, const long *offsets, int taps, const float *weight,
    int outBlocks, float *out, long outStride, int positions) {
    for (int block = 0; block < outBlocks; block++) {
        const float *blockWeight = weight + (long)block * channels * taps * 8;
        float *blockOut = out + (long)block * 8 * outStride;
        for (int r = 0; r < positions; r += 32) {
            __m512 low[8], high[8];
            for (int o = 0; o < 8; o++) low[o] = high[o] = _mm512_setzero_ps();
            for (int c = 0; c < channels; c++) {
                const float *row = in + c * channelStride + r;
                const float *w = blockWeight + (long)c * taps * 8;
                for (int k = 0; k < taps; k++) {
                    const __m512 x0 = _mm512_loadu_ps(row + offsets[k]);
                    const __m512 x1 = _mm512_loadu_ps(row + offsets[k] + 16);
                    for (int o = 0; o < 8; o++) {
                        const __m512 wo = _mm512_set1_ps(w[k * 8 + o]);
                        low[o] = _mm512_fmadd_ps(wo, x0, low[o]);
                        high[o] = _mm512_fmadd_ps(wo, x1, high[o]);
                    }
                }
            }
            for (int o = 0; o < 8; o++) {
                _mm512_storeu_ps(blockOut + o * outStride + r, low[o]);
                _mm512_storeu_ps(blockOut + o * outStride + r + 16, high[o]);
            }
        }
    }
}

void kd_conv_taps(
    const float *in, long channelStride, int channels, const long *offsets, int taps, const float *weight,
    int outBlocks, float *out, long outStride, int positions) {
    conv_taps_avx512(in, channelStride, channels, offsets, taps, weight, outBlocks, out, outStride, positions);
}

/// The 3 x 9 sums of dW for output channels dy[0], dy[1], dy[2] (repeats allowed) against one
/// input channel x, accumulated over 16 lanes of j per step (`load` reads the lanes in use).
#define KD_WEIGHT_GRADIENT_STEP(load)                                          \
    do {                                                                       \
        const __m512 g0 = load(dy[0] + j), g1 = load(dy[1] + j), g2 = load(dy[2] + j); \
        for (int k = 0; k < 9; k++) {                                          \
            const __m512 xk = load(x + j + offsets[k]);                        \
            sum0[k] = _mm512_fmadd_ps(g0, xk, sum0[k]);                        \
            sum1[k] = _mm512_fmadd_ps(g1, xk, sum1[k]);                        \
            sum2[k] = _mm512_fmadd_ps(g2, xk, sum2[k]);                        \
        }                                                                      \
    } while (0)

__attribute__((target("avx512f"))) static void weight_gradient_triple(
    const float *dy[3], const float *x, const long offsets[9], long length, float sums[27]) {
    __m512 sum0[9], sum1[9], sum2[9];
    for (int k = 0; k < 9; k++) sum0[k] = sum1[k] = sum2[k] = _mm512_setzero_ps();
    long j = 0;
#define KD_FULL_LOAD(p) _mm512_loadu_ps(p)
    for (; j + 16 <= length; j += 16) KD_WEIGHT_GRADIENT_STEP(KD_FULL_LOAD);
    if (j < length) {
        const __mmask16 mask = (__mmask16)((1u << (length - j)) - 1);
#define KD_MASKED_LOAD(p) _mm512_maskz_loadu_ps(mask, p)
        KD_WEIGHT_GRADIENT_STEP(KD_MASKED_LOAD);
    }
    for (int k = 0; k < 9; k++) {
        sums[k] = _mm512_reduce_add_ps(sum0[k]);
        sums[9 + k] = _mm512_reduce_add_ps(sum1[k]);
        sums[18 + k] = _mm512_reduce_add_ps(sum2[k]);
    }
}

void kd_conv_taps_weight_gradient(
    const float *dy, const float *x, long channelStride, int outChannels, int inChannels,
    const long offsets[9], long length, float *dW) {
    float sums[27];
    for (int o = 0; o < outChannels; o += 3) {
        const int count = outChannels - o < 3 ? outChannels - o : 3;
        const float *rows[3];
        for (int i = 0; i < 3; i++) rows[i] = dy + (long)(i < count ? o + i : o) * channelStride;
        for (int c = 0; c < inChannels; c++) {
            weight_gradient_triple(rows, x + c * channelStride, offsets, length, sums);
            for (int i = 0; i < count; i++)
                for (int k = 0; k < 9; k++) dW[((long)(o + i) * inChannels + c) * 9 + k] = sums[9 * i + k];
        }
    }
}

#else

int kd_conv3x3_available(void) { return 0; }

void kd_conv_taps(
    const float *in, long channelStride, int channels, const long *offsets, int taps, const float *weight,
    int outBlocks, float *out, long outStride, int positions) {
    (void)in, (void)channelStride, (void)channels, (void)offsets, (void)taps, (void)weight, (void)outBlocks;
    (void)out, (void)outStride, (void)positions;
    __builtin_trap();  // never called: kd_conv3x3_available() is 0 here
}

void kd_conv_taps_weight_gradient(
    const float *dy, const float *x, long channelStride, int outChannels, int inChannels,
    const long offsets[9], long length, float *dW) {
    (void)dy, (void)x, (void)channelStride, (void)outChannels, (void)inChannels, (void)offsets;
    (void)length, (void)dW;
    __builtin_trap();  // never called: kd_conv3x3_available() is 0 here
}

#endif
