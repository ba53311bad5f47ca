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

#else

int kd_conv3x3_available(void) { return 0; }

void kd_conv_taps(
    const float *in, long channelStride, int channels, const long *offsets, int taps, const float *weight,
    int outBlocks, float *out, long outStride, int positions) {
    (void)in, (void)channelStride, (void)channels, (void)offsets, (void)taps, (void)weight, (void)outBlocks;
    (void)out, (void)outStride, (void)positions;
    __builtin_trap();  // never called: kd_conv3x3_available() is 0 here
}

#endif
