/*
 * pn_cpu_act.h — native element-wise activations of the CPU backend over float32 arrays. Header-only: compiled into
 * the same JNI library as pn_cpu.h by JavaCPP (native/pom.xml).
 *
 *   pn_cpu_swiglu(g, u, out, n):  out[i] = g[i] · σ(g[i]) · u[i] for i in [0, n)   (LLaMA's MLP: silu(gate) · up)
 *                                 u == 0: out[i] = g[i] · σ(g[i])                  (SiLU alone)
 *       σ(x) = 1 / (1 + e^-x). Addresses are passed as integers (the Java side owns the memory); out may alias g or u.
 *       Returns 0, or 1 for bad arguments.
 *
 * Why: in Java each σ costs a scalar e^x (≈ 4 ns an element here: the JIT does not vectorise the exponent-bit
 * arithmetic of MathFunctions.expf), which made SwiGLU the largest element-wise op of a small model's forward pass
 * (docs/performance.md, "Scoring throughput"). The AVX-512 path runs 16 lanes: e^x by the same reduction and
 * polynomial as MathFunctions.expf (x = n·ln 2 + r with ln 2 split in two parts, Cephes' degree-7 polynomial for
 * e^r), with 2^n applied by vscalefps, which saturates to ∞ and to 0 (through the subnormals) at the ends of the
 * range, so σ needs no branch; x is clamped to [-104, 88.8] first (outside, e^x is 0 or ∞ in float anyway), and NaN
 * passes through (the clamps keep a NaN operand). The division is exact (vdivps), and the products are taken in
 * Java's order, (g · σ) · u. Without AVX-512, a plain loop with the C library's expf.
 */
#ifndef PN_CPU_ACT_H
#define PN_CPU_ACT_H

#include <math.h>
#include <stdint.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pn_cpu_act {

#if defined(__x86_64__)
// GCC 12's _mm512_min_ps/_max_ps/_roundscale_ps pass an undefined vector as the masked-off source, which
// -Wmaybe-uninitialized reports inside ours (as in pn_cpu.h): silenced for these two functions only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
__attribute__((target("avx512f"))) inline __m512 exp512(__m512 x) {
    x = _mm512_min_ps(_mm512_set1_ps(88.8f), x);                 // second operand kept when NaN
    x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(1.9875691500e-4f), r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

__attribute__((target("avx512f"))) inline void swiglu_avx512(const float* g, const float* u, float* out, long long n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (long long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << (n - i)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(m, g + i);
        __m512 s = _mm512_div_ps(one, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), x))));
        __m512 y = _mm512_mul_ps(x, s);
        if (u) y = _mm512_mul_ps(y, _mm512_maskz_loadu_ps(m, u + i));
        _mm512_mask_storeu_ps(out + i, m, y);
    }
}
#pragma GCC diagnostic pop
#endif

inline int swiglu(long long g_addr, long long u_addr, long long out_addr, long long n) {
    if (g_addr == 0 || out_addr == 0 || n < 0) return 1;
    const float* g = (const float*) (uintptr_t) g_addr;
    const float* u = (const float*) (uintptr_t) u_addr;
    float* out = (float*) (uintptr_t) out_addr;
#if defined(__x86_64__)
    static const int avx512 = __builtin_cpu_supports("avx512f");
    if (avx512) {
        swiglu_avx512(g, u, out, n);
        return 0;
    }
#endif
    for (long long i = 0; i < n; i++) {
        float x = g[i], y = x * (1.0f / (1.0f + expf(-x)));
        out[i] = u ? y * u[i] : y;
    }
    return 0;
}

}  // namespace pn_cpu_act

inline int pn_cpu_swiglu(long long g, long long u, long long out, long long n) { return pn_cpu_act::swiglu(g, u, out, n); }

#endif
