// The Adam update of CKernels.h (see there for the contract).
#include "CKernels.h"
#include <math.h>

// a * b + c stays two roundings (a multiply, then an add), as in the scalar Swift expressions
// the results must equal bit for bit: no fused multiply-adds.
#pragma STDC FP_CONTRACT OFF

// One element of the update, in the documented order.
static inline void adam_element(
    float *theta, const float *grad, float *m, float *v, const struct kd_adam_constants *c) {
    const float g = c->l2 != 0 ? *grad + c->l2 * *theta : *grad;
    float th = *theta * c->shrink;
    *m = c->beta1 * *m + (1 - c->beta1) * g;
    *v = c->beta2 * *v + (1 - c->beta2) * g * g;
    th = th - c->stepSize * *m / (sqrtf(*v) / c->biasCorrection2Sqrt + c->eps);
    *theta = th;
}

#if defined(__x86_64__)
#include <immintrin.h>

// 16 elements at a time: the same operations in the same order as adam_element, per lane.
__attribute__((target("avx512f"))) static long adam_avx512(
    float *theta, const float *grad, float *m, float *v, long count, const struct kd_adam_constants *c) {
    const __m512 beta1 = _mm512_set1_ps(c->beta1), beta2 = _mm512_set1_ps(c->beta2);
    const __m512 oneMinusBeta1 = _mm512_set1_ps(1 - c->beta1), oneMinusBeta2 = _mm512_set1_ps(1 - c->beta2);
    const __m512 l2 = _mm512_set1_ps(c->l2), shrink = _mm512_set1_ps(c->shrink);
    const __m512 stepSize = _mm512_set1_ps(c->stepSize), correction = _mm512_set1_ps(c->biasCorrection2Sqrt);
    const __m512 eps = _mm512_set1_ps(c->eps);
    long j = 0;
    for (; j + 16 <= count; j += 16) {
        __m512 th = _mm512_loadu_ps(theta + j);
        __m512 g = _mm512_loadu_ps(grad + j);
        if (c->l2 != 0) g = _mm512_add_ps(g, _mm512_mul_ps(l2, th));
        th = _mm512_mul_ps(th, shrink);
        const __m512 mj = _mm512_add_ps(_mm512_mul_ps(beta1, _mm512_loadu_ps(m + j)), _mm512_mul_ps(oneMinusBeta1, g));
        const __m512 vj =
            _mm512_add_ps(_mm512_mul_ps(beta2, _mm512_loadu_ps(v + j)), _mm512_mul_ps(_mm512_mul_ps(oneMinusBeta2, g), g));
        const __m512 denominator = _mm512_add_ps(_mm512_div_ps(_mm512_sqrt_ps(vj), correction), eps);
        th = _mm512_sub_ps(th, _mm512_div_ps(_mm512_mul_ps(stepSize, mj), denominator));
        _mm512_storeu_ps(m + j, mj);
        _mm512_storeu_ps(v + j, vj);
        _mm512_storeu_ps(theta + j, th);
    }
    return j;
}
#endif

void kd_adam_update(float *theta, const float *grad, float *m, float *v, long count, struct kd_adam_constants c) {
    long j = 0;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f")) j = adam_avx512(theta, grad, m, v, count, &c);
#endif
    for (; j < count; j++) adam_element(theta + j, grad + j, m + j, v + j, &c);
}
