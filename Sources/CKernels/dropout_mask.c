// The dropout mask of CKernels.h (see there for the contract).
#include "CKernels.h"

static const uint64_t increment = 0x9E3779B97F4A7C15ULL;

// SplitMix64's output function (NN/Random/SplitMix64.swift).
static inline uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// Draw `draw` as a Float in [0, 1): its top 24 bits times 2^-24 (both steps exact).
static inline float unit(uint64_t state, long draw) {
    return (float)(mix(state + (uint64_t)(draw + 1) * increment) >> 40) * (1.0f / 16777216.0f);
}

#if defined(__x86_64__)
#include <immintrin.h>

// 8 draws at a time: 64-bit lanes (AVX-512DQ multiplies and conversions), the same integer steps
// and the same Float comparison as `unit`.
__attribute__((target("avx512f,avx512dq"))) static long mask_avx512(
    uint64_t state, long firstDraw, long count, float p, float scale, const float *x, float *mask, float *y) {
    const __m512i step = _mm512_set1_epi64((long long)(8 * increment));
    const __m512i m1 = _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ULL);
    const __m512i m2 = _mm512_set1_epi64((long long)0x94D049BB133111EBULL);
    const __m256 threshold = _mm256_set1_ps(p), keep = _mm256_set1_ps(scale), unitScale = _mm256_set1_ps(1.0f / 16777216.0f);
    __m512i s = _mm512_set_epi64(8, 7, 6, 5, 4, 3, 2, 1);
    s = _mm512_add_epi64(_mm512_set1_epi64((long long)(state + (uint64_t)firstDraw * increment)),
                         _mm512_mullo_epi64(s, _mm512_set1_epi64((long long)increment)));
    long j = 0;
    for (; j + 8 <= count; j += 8) {
        __m512i z = _mm512_mullo_epi64(_mm512_xor_si512(s, _mm512_srli_epi64(s, 30)), m1);
        z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), m2);
        z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
        const __m256 u = _mm256_mul_ps(_mm512_cvtepu64_ps(_mm512_srli_epi64(z, 40)), unitScale);
        const __m256 factor = _mm256_and_ps(_mm256_cmp_ps(u, threshold, _CMP_GE_OQ), keep);
        _mm256_storeu_ps(mask + j, factor);
        _mm256_storeu_ps(y + j, _mm256_mul_ps(_mm256_loadu_ps(x + j), factor));
        s = _mm512_add_epi64(s, step);
    }
    return j;
}
#endif

void kd_dropout_mask(
    uint64_t state, long firstDraw, long count, float p, float scale, const float *x, float *mask, float *y) {
    long j = 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
        j = mask_avx512(state, firstDraw, count, p, scale, x, mask, y);
#endif
    for (; j < count; j++) {
        mask[j] = unit(state, firstDraw + j) >= p ? scale : 0;
        y[j] = x[j] * mask[j];
    }
}
