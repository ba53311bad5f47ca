// The weight gradient of the direct 3x3 convolution (CKernels.h has the contract).
#include "CKernels.h"

#include <string.h>

/// Rows of dy (one image row of every output channel) per tile: about 32 KB of transposed dy,
/// which the tile's passes over the input channels then read from L1/L2.
static long tile_rows(int outChannels, int width) {
    const long rows = 8192 / ((long)width * ((outChannels + 15) / 16 * 16));
    return rows < 1 ? 1 : rows;
}

long kd_conv3x3_weight_gradient_work(int outChannels, int inChannels, int width) {
    const long outStride = (outChannels + 15) / 16 * 16;
    return (long)(outChannels + 31) / 32 * 32 * inChannels * 9 + tile_rows(outChannels, width) * width * outStride;
}

#if defined(__x86_64__)
#include <immintrin.h>

/// Adds to `sums` (9 taps x 32 lanes per input channel, see below) the products of one tile:
/// `vectors` (1 or 2) vectors of 16 output channels from `tile` (positions x outStride) against
/// `channels` (1 or 2; vectors * channels <= 2) input channels' padded planes at `x`. The 9 or
/// 18 running sums stay in registers over the tile's rows; each input value is broadcast once
/// per tap.
static inline __attribute__((always_inline, target("avx512f"))) void accumulate_tile(
    const int vectors, const int channels, const float *tile, long outStride, const float *x, long channelStride,
    long imageStride, long rowStride, int stride, long firstRow, long endRow, int height, int width, float *sums) {
    const int second = vectors == 2 || channels == 2;
    __m512 low[9], high[9];
    for (int k = 0; k < 9; k++) low[k] = high[k] = _mm512_setzero_ps();
    for (long r = firstRow; r < endRow; r++) {
        const float *row = x + (r / height) * imageStride + (r % height) * stride * rowStride;
        const float *g = tile + (r - firstRow) * width * outStride;
        for (int w = 0; w < width; w++) {
            const __m512 g0 = _mm512_loadu_ps(g + w * outStride);
            const __m512 g1 = vectors == 2 ? _mm512_loadu_ps(g + w * outStride + 16) : g0;
            for (int k = 0; k < 9; k++) {
                const long at = (k / 3) * rowStride + k % 3 + (long)w * stride;
                const __m512 x0 = _mm512_set1_ps(row[at]);
                low[k] = _mm512_fmadd_ps(g0, x0, low[k]);
                if (second) {
                    const __m512 x1 = channels == 2 ? _mm512_set1_ps(row[channelStride + at]) : x0;
                    high[k] = _mm512_fmadd_ps(g1, x1, high[k]);
                }
            }
        }
    }
    // Two vectors: lanes 16..31 of the same channel; two channels: lanes 0..15 of the next one.
    float *highSums = channels == 2 ? sums + 9 * 32 : sums + 16;
    for (int k = 0; k < 9; k++) {
        _mm512_storeu_ps(sums + k * 32, _mm512_add_ps(_mm512_loadu_ps(sums + k * 32), low[k]));
        if (second) _mm512_storeu_ps(highSums + k * 32, _mm512_add_ps(_mm512_loadu_ps(highSums + k * 32), high[k]));
    }
}

/// Copies rows [firstRow, endRow) of dy ([images, outChannels, height, width]) into `tile` as
/// positions x outStride (output channels contiguous, zero past outChannels).
__attribute__((target("avx512f"))) static void transpose_tile(
    const float *dy, int outChannels, int height, int width, long firstRow, long endRow, long outStride,
    float *tile) {
    const long plane = (long)height * width;
    const __m512i channelOffsets = _mm512_mullo_epi32(
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), _mm512_set1_epi32((int)plane));
    for (long r = firstRow; r < endRow; r++) {
        const float *source = dy + (r / height) * outChannels * plane + (r % height) * width;
        float *target = tile + (r - firstRow) * width * outStride;
        for (int o = 0; o < outChannels; o += 16) {
            const __mmask16 lanes = outChannels - o >= 16 ? 0xffff : (__mmask16)((1u << (outChannels - o)) - 1);
            for (int w = 0; w < width; w++) {
                const __m512 column = _mm512_mask_i32gather_ps(
                    _mm512_setzero_ps(), lanes, channelOffsets, source + o * plane + w, 4);
                _mm512_storeu_ps(target + w * outStride + o, column);
            }
        }
    }
}

__attribute__((target("avx512f"))) void kd_conv3x3_weight_gradient(
    const float *dy, int outChannels, const float *x, long channelStride, long imageStride, long rowStride,
    int stride, int inChannels, int images, int height, int width, float *work, int first, int last, float *dW) {
    const int blocks = (outChannels + 31) / 32;
    const long outStride = (outChannels + 15) / 16 * 16, rows = (long)images * height;
    const long blockSums = 32L * inChannels * 9, tileRows = tile_rows(outChannels, width);
    float *sums = work, *tile = work + blocks * blockSums;
    if (first) memset(sums, 0, sizeof(float) * blocks * blockSums);
    for (long firstRow = 0; firstRow < rows; firstRow += tileRows) {
        const long endRow = firstRow + tileRows < rows ? firstRow + tileRows : rows;
        transpose_tile(dy, outChannels, height, width, firstRow, endRow, outStride, tile);
        for (int b = 0; b < blocks; b++) {
            const float *g = tile + b * 32;
            float *s = sums + b * blockSums;
#define KD_TILE(vectors, channels, c)                                                                        \
    accumulate_tile(                                                                                         \
        vectors, channels, g, outStride, x + (c) * channelStride, channelStride, imageStride, rowStride, stride, \
        firstRow, endRow, height, width, s + (c) * 9 * 32)
            int c = 0;
            if (outChannels - b * 32 > 16) {  // 32 outputs x 1 input channel
                for (; c < inChannels; c++) KD_TILE(2, 1, c);
            } else {  // 16 outputs x 2 input channels, then 1
                for (; c + 2 <= inChannels; c += 2) KD_TILE(1, 2, c);
                if (c < inChannels) KD_TILE(1, 1, c);
            }
#undef KD_TILE
        }
    }
    if (!last) return;
    for (int o = 0; o < outChannels; o++)
        for (int c = 0; c < inChannels; c++)
            for (int k = 0; k < 9; k++)
                dW[((long)o * inChannels + c) * 9 + k] = sums[(o / 32) * blockSums + (c * 9 + k) * 32 + o % 32];
}

#else

void kd_conv3x3_weight_gradient(
    const float *dy, int outChannels, const float *x, long channelStride, long imageStride, long rowStride,
    int stride, int inChannels, int images, int height, int width, float *work, int first, int last, float *dW) {
    (void)dy, (void)outChannels, (void)x, (void)channelStride, (void)imageStride, (void)rowStride, (void)stride;
    (void)inChannels, (void)images, (void)height, (void)width, (void)work, (void)first, (void)last, (void)dW;
    __builtin_trap();  // never called: kd_conv3x3_available() is 0 here
}

#endif
