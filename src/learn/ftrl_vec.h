/* learn/ftrl_vec.h: the two steps of FTRL-Proximal that need the divider, over the features of one
 * example at a time, four floats per instruction where the CPU has SSE (every x86-64): the closed
 * form weights v = -sign(z) max(|z| - l1, 0) / ((beta + sqrt(n)) / alpha + l2) with r = sqrt(n),
 * and the square roots of the updated n. A scalar FTRL step spends two square roots and a
 * division per feature, and on a table that fits the caches (a few hundred hot columns) those
 * dominate the pass: one sqrtps does four features in the time a sqrtsd does one. Float
 * precision, as the table stores z and n. Callers pad their arrays to a multiple of
 * GN_FTRL_LANES (ftrl_pad). */
#ifndef GN_LEARN_FTRL_VEC_H
#define GN_LEARN_FTRL_VEC_H

#include <math.h>
#include <stddef.h>

/* GN_FTRL_SCALAR: the portable loops (other CPUs; compiled on x86 too by the unit tests) */
#if (defined(__SSE__) || defined(__x86_64__)) && !defined(GN_FTRL_SCALAR)
#include <xmmintrin.h>
#define GN_FTRL_SSE 1
#endif

#define GN_FTRL_LANES 4

typedef struct {
    float inv_alpha, beta, l1, l2;
} gn_ftrl_consts;

/* k rounded up to whole vectors. */
static inline size_t gn__ftrl_padded(size_t k) { return (k + GN_FTRL_LANES - 1) & ~(size_t)(GN_FTRL_LANES - 1); }

/* Fills z[k..padded) and x[k..padded) with 0 and n[k..padded) with 1: lanes past the example
 * compute a finite nothing. */
static inline void gn__ftrl_pad(float *z, float *n, float *x, size_t k) {
    for (size_t i = k; i < gn__ftrl_padded(k); i++) {
        z[i] = 0.0f;
        n[i] = 1.0f;
        x[i] = 0.0f;
    }
}

/* r[i] = sqrt(n[i]) and v[i] = the closed-form weight of (z[i], r[i]), for i < padded(k); returns
 * the score sum_i v[i] x[i] (products and sum in double; x padded with zeros). */
static inline double gn__ftrl_weights(const gn_ftrl_consts *c, const float *z, const float *n, const float *x,
                                      float *r, float *v, size_t k) {
    const size_t end = gn__ftrl_padded(k);
#ifdef GN_FTRL_SSE
    const __m128 sign = _mm_set1_ps(-0.0f), zero = _mm_setzero_ps();
    const __m128 ia = _mm_set1_ps(c->inv_alpha), beta = _mm_set1_ps(c->beta), l1 = _mm_set1_ps(c->l1),
                 l2 = _mm_set1_ps(c->l2);
    __m128d s0 = _mm_setzero_pd(), s1 = _mm_setzero_pd();
    for (size_t i = 0; i < end; i += GN_FTRL_LANES) {
        const __m128 zz = _mm_loadu_ps(z + i), rr = _mm_sqrt_ps(_mm_loadu_ps(n + i));
        const __m128 shrunk = _mm_max_ps(_mm_sub_ps(_mm_andnot_ps(sign, zz), l1), zero);
        const __m128 den = _mm_add_ps(_mm_mul_ps(_mm_add_ps(beta, rr), ia), l2);
        /* -copysign(shrunk, z): shrunk with the opposite of z's sign (shrunk is never negative) */
        const __m128 num = _mm_xor_ps(_mm_or_ps(shrunk, _mm_and_ps(sign, zz)), sign);
        const __m128 vv = _mm_add_ps(_mm_div_ps(num, den), zero); /* + 0: never -0 */
        _mm_storeu_ps(r + i, rr);
        _mm_storeu_ps(v + i, vv);
        const __m128 xx = _mm_loadu_ps(x + i);
        s0 = _mm_add_pd(s0, _mm_mul_pd(_mm_cvtps_pd(vv), _mm_cvtps_pd(xx)));
        s1 = _mm_add_pd(s1, _mm_mul_pd(_mm_cvtps_pd(_mm_movehl_ps(vv, vv)), _mm_cvtps_pd(_mm_movehl_ps(xx, xx))));
    }
    double lanes[2];
    _mm_storeu_pd(lanes, _mm_add_pd(s0, s1));
    return lanes[0] + lanes[1];
#else
    double s = 0.0;
    for (size_t i = 0; i < end; i++) {
        const float rr = sqrtf(n[i]), a = fabsf(z[i]) - c->l1;
        const float shrunk = a > 0.0f ? a : 0.0f;
        r[i] = rr;
        v[i] = -copysignf(shrunk, z[i]) / ((c->beta + rr) * c->inv_alpha + c->l2) + 0.0f;
        s += (double)v[i] * x[i];
    }
    return s;
#endif
}

/* The step of the features of an example whose slots are all different, given the gradient
 * scale d (the loss derivative times the example's weight): g = d x[i], n[i] += g^2,
 * z[i] += g - (sqrt(n[i] new) - r[i]) / alpha * v[i], in place, for i < padded(k) (padded x are
 * 0: their lanes do not move). */
static inline void gn__ftrl_step(const gn_ftrl_consts *c, float d, const float *x, const float *r, const float *v,
                                 float *z, float *n, size_t k) {
    const size_t end = gn__ftrl_padded(k);
#ifdef GN_FTRL_SSE
    const __m128 dd = _mm_set1_ps(d), ia = _mm_set1_ps(c->inv_alpha);
    for (size_t i = 0; i < end; i += GN_FTRL_LANES) {
        const __m128 g = _mm_mul_ps(dd, _mm_loadu_ps(x + i));
        const __m128 n2 = _mm_add_ps(_mm_loadu_ps(n + i), _mm_mul_ps(g, g));
        const __m128 sigma = _mm_mul_ps(_mm_sub_ps(_mm_sqrt_ps(n2), _mm_loadu_ps(r + i)), ia);
        _mm_storeu_ps(n + i, n2);
        _mm_storeu_ps(z + i, _mm_sub_ps(_mm_add_ps(_mm_loadu_ps(z + i), g), _mm_mul_ps(sigma, _mm_loadu_ps(v + i))));
    }
#else
    for (size_t i = 0; i < end; i++) {
        const float g = d * x[i], n2 = n[i] + g * g;
        z[i] += g - (sqrtf(n2) - r[i]) * c->inv_alpha * v[i];
        n[i] = n2;
    }
#endif
}

/* r[i] = sqrt(n[i]) for i < padded(k). */
static inline void gn__ftrl_sqrt(const float *n, float *r, size_t k) {
    const size_t end = gn__ftrl_padded(k);
#ifdef GN_FTRL_SSE
    for (size_t i = 0; i < end; i += GN_FTRL_LANES) _mm_storeu_ps(r + i, _mm_sqrt_ps(_mm_loadu_ps(n + i)));
#else
    for (size_t i = 0; i < end; i++) r[i] = sqrtf(n[i]);
#endif
}

#endif
