// The input gradient of a stride-2 3x3 convolution with padding 1 (CKernels.h has the contract).
#include "CKernels.h"

/// The lines of phase parity `parity` (0: even rows or columns of dx, 1: odd) that a 3x3 window
/// puts there: for each, its kernel index and its shift into dy (dx line 2a + parity takes dy
/// line a + shift). Even: kernel 1 from line a. Odd: kernel 2 from line a, kernel 0 from a + 1.
static int phase_lines(int parity, int *kernel, int *shift) {
    if (parity == 0) {
        kernel[0] = 1, shift[0] = 0;
        return 1;
    }
    kernel[0] = 2, shift[0] = 0, kernel[1] = 0, shift[1] = 1;
    return 2;
}

/// The taps of phase `phase` (2 * row parity + column parity), row-major: for each, its index
/// k = 3 * ki + kj in the 3x3 window and its offset into dy's planes (rows `rowStride` apart).
/// Returns their count (1, 2, 2 or 4).
static int phase_taps(int phase, long rowStride, int *kernel, long *offsets) {
    int rowKernel[2], rowShift[2], columnKernel[2], columnShift[2];
    const int rows = phase_lines(phase / 2, rowKernel, rowShift);
    const int columns = phase_lines(phase % 2, columnKernel, columnShift);
    for (int t = 0; t < rows * columns; t++) {
        kernel[t] = rowKernel[t / columns] * 3 + columnKernel[t % columns];
        offsets[t] = rowShift[t / columns] * rowStride + columnShift[t % columns];
    }
    return rows * columns;
}

void kd_conv3x3_stride2_pack_gradient(const float *weight, int outChannels, int inChannels, float *packed) {
    const int inBlocks = (inChannels + 7) / 8;
    for (int phase = 0; phase < 4; phase++) {
        int kernel[4];
        long offsets[4];
        const int taps = phase_taps(phase, 0, kernel, offsets);
        for (int block = 0; block < inBlocks; block++)
            for (int o = 0; o < outChannels; o++)
                for (int t = 0; t < taps; t++)
                    for (int lane = 0; lane < 8; lane++) {
                        const int c = block * 8 + lane;
                        packed[((long)(block * outChannels + o) * taps + t) * 8 + lane] =
                            c < inChannels ? weight[((long)o * inChannels + c) * 9 + kernel[t]] : 0.0f;
                    }
        packed += (long)inBlocks * outChannels * taps * 8;
    }
}

long kd_conv3x3_stride2_input_gradient_work(int inChannels, long positions) {
    return 4L * (inChannels + 7) / 8 * 8 * positions;
}

#if defined(__x86_64__)
#include <immintrin.h>

/// dx rows of one row parity: each interleaves the same row of the even-column and the
/// odd-column phase's outputs, 8 + 8 values into 16 at a time.
__attribute__((target("avx512f"))) static void interleave_rows(
    const float *even, const float *odd, long positions, long rowStride, int inChannels, int parity, int height,
    int width, float *dx) {
    const __m512i pairs = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    const int evenColumns = (width + 1) / 2, oddColumns = width / 2;
    for (int c = 0; c < inChannels; c++)
        for (int y = parity; y < height; y += 2) {
            const long source = c * positions + (y / 2) * rowStride;
            float *target = dx + ((long)c * height + y) * width;
            for (int b = 0; b < evenColumns; b += 8) {
                const int left = evenColumns - b < 8 ? evenColumns - b : 8;
                const int right = oddColumns - b < 0 ? 0 : (oddColumns - b < 8 ? oddColumns - b : 8);
                const __m512 e = _mm512_maskz_loadu_ps((__mmask16)((1u << left) - 1), even + source + b);
                const __m512 o = _mm512_maskz_loadu_ps((__mmask16)((1u << right) - 1), odd + source + b);
                const int count = width - 2 * b < 16 ? width - 2 * b : 16;
                _mm512_mask_storeu_ps(
                    target + 2 * b, (__mmask16)((1u << count) - 1), _mm512_permutex2var_ps(e, pairs, o));
            }
        }
}

__attribute__((target("avx512f"))) void kd_conv3x3_stride2_input_gradient(
    const float *dy, long channelStride, long rowStride, long positions, int outChannels, const float *packed,
    int inChannels, int height, int width, float *work, float *dx) {
    const int inBlocks = (inChannels + 7) / 8;
    const long phaseOut = (long)inBlocks * 8 * positions;
    for (int phase = 0; phase < 4; phase++) {
        int kernel[4];
        long offsets[4];
        const int taps = phase_taps(phase, rowStride, kernel, offsets);
        kd_conv_taps(
            dy, channelStride, outChannels, offsets, taps, packed, inBlocks, work + phase * phaseOut, positions,
            (int)positions);
        packed += (long)inBlocks * outChannels * taps * 8;
    }
    for (int parity = 0; parity < 2; parity++)
        interleave_rows(
            work + 2 * parity * phaseOut, work + (2 * parity + 1) * phaseOut, positions, rowStride, inChannels, parity,
            height, width, dx);
}

#else

void kd_conv3x3_stride2_input_gradient(
    const float *dy, long channelStride, long rowStride, long positions, int outChannels, const float *packed,
    int inChannels, int height, int width, float *work, float *dx) {
    (void)dy, (void)channelStride, (void)rowStride, (void)positions, (void)outChannels, (void)packed;
    (void)inChannels, (void)height, (void)width, (void)work, (void)dx;
    __builtin_trap();  // never called: kd_conv3x3_available() is 0 here
}

#endif
