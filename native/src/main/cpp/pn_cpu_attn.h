/*
 * pn_cpu_attn.h — attention of one query row over a run of cached keys, for the CPU backend's decode steps.
 * Header-only: compiled into the same JNI library as pn_cpu.h by JavaCPP (native/pom.xml).
 *
 *   pn_cpu_attend_row(dtype, q, k, k_ld, v, v_ld, n, hd, scale, scratch, out, lse):
 *       s_j   = scale · Σ_c q[c] · K[j, c]                  for j in [0, n)      (K row j at k + j · k_ld elements)
 *       m     = max_j s_j,  Z = Σ_j e^(s_j − m)
 *       out_c = Σ_j e^(s_j − m) · V[j, c] / Z                for c in [0, hd)     (V row j at v + j · v_ld)
 *       lse   = m + ln Z
 *   q, out, lse and scratch ([n] floats, overwritten) are float32; K and V are float32 (dtype 0), bfloat16 (1) or
 *   float16 (2), read in place. n = 0 gives a zero row and lse = −∞ (a query that sees no key). Returns 0, or 1 for
 *   bad arguments. A NaN score makes the row NaN, as the composition that defines attention does; scores that are all
 *   −∞ give the zero row and lse = −∞, as CpuAttention does.
 *
 *   pn_cpu_softmax_rows(s, ld, rows, causal, first_lim, scale, lse): the blocked path's row softmax in place (below).
 *   pn_cpu_attn_backward_rows(s, dp, ld, rows, causal, first_lim, scale, lse, d): the blocked backward's rows,
 *       P = exp(scale·S − lse) into s and dS = scale·P∘(dP − D) into dp (below).
 *
 * Why: a decode step (one new token, T = 1) attends over every cached position of every layer. On the 221M bench
 * model after a 707-position prompt that is 12 layers × 12 heads × ≈ 770 keys × 64 × 2 floats ≈ 57 MB per token,
 * read once: a memory-bound stream, like the weights'. The blocked fused attention of the CPU backend
 * (CpuAttention) spends it in two one-row OpenBLAS products and a scalar softmax in Java per head; here the scores,
 * the exponentials (pn_cpu_act's exp512) and the weighted sum of V rows are 16-lane AVX-512 loops over the
 * cache (docs/kernels.md, "Attention on the CPU"). Accumulation is float32 except Z, whose 16 lane sums are added
 * in double; the test bound is the reference's (docs/kernels.md).
 */
#ifndef PN_CPU_ATTN_H
#define PN_CPU_ATTN_H

#include <math.h>
#include <stdint.h>
#include "pn_cpu.h"
#include "pn_cpu_act.h"

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace pn_cpu_attn {

#if defined(__x86_64__)
/** The lanes of a 16-wide step that lie before `left` elements run out. */
inline __mmask16 tail_mask(int left) { return left >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << left) - 1); }

/** max_j scale·s_j over s[0, n), and in *nan whether some scaled score is NaN (max_ps would drop it); −∞ for n = 0. */
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline float scaled_max(const float* s, int n, __m512 sc, bool* nan) {
    __m512 mx = _mm512_set1_ps(-INFINITY);
    __mmask16 bad = 0;
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = tail_mask(n - j);
        __m512 x = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + j), sc));
        bad |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
        mx = _mm512_max_ps(mx, x);
    }
    *nan = bad != 0;
    return _mm512_reduce_max_ps(mx);
}

/** s_j ← e^(scale·s_j − m) in place over [0, n); returns Z = Σ_j s_j, summed in 16 float lanes and then in double. */
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline double exp_shifted_sum(float* s, int n, __m512 sc, __m512 mv) {
    __m512 zv = _mm512_setzero_ps();
    for (int j = 0; j < n; j += 16) {
        __mmask16 m = tail_mask(n - j);
        __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, s + j), sc);
        __m512 p = _mm512_maskz_mov_ps(m, pn_cpu_act::exp512(_mm512_sub_ps(x, mv)));
        _mm512_mask_storeu_ps(s + j, m, p);
        zv = _mm512_add_ps(zv, p);
    }
    float lanes[16];
    _mm512_storeu_ps(lanes, zv);
    double z = 0;
    for (int l = 0; l < 16; l++) z += lanes[l];
    return z;
}
#endif

/** The plain loops: any CPU (and the reference the vector path is tested against, with the Java reference). */
template <int DT>
inline void attend_scalar(const float* q, const void* k, long long k_ld, const void* v, long long v_ld, int n, int hd,
                          float scale, float* s, float* out, float* lse) {
    float m = -INFINITY;
    bool nan = false;
    for (int j = 0; j < n; j++) {
        float acc = 0;
        for (int c = 0; c < hd; c++) acc += q[c] * pn_cpu::load<DT>(k, (long long) j * k_ld + c);
        s[j] = scale * acc;
        if (s[j] != s[j]) nan = true;
        else if (s[j] > m) m = s[j];
    }
    if (!nan && m == -INFINITY) {                                  // every score −∞: the row sees no key
        for (int c = 0; c < hd; c++) out[c] = 0;
        *lse = -INFINITY;
        return;
    }
    double z = 0;
    for (int j = 0; j < n; j++) z += s[j] = expf(s[j] - m);
    for (int c = 0; c < hd; c++) out[c] = 0;
    for (int j = 0; j < n; j++)
        for (int c = 0; c < hd; c++) out[c] += s[j] * pn_cpu::load<DT>(v, (long long) j * v_ld + c);
    float inv = (float) (1 / z);
    for (int c = 0; c < hd; c++) out[c] = nan ? NAN : out[c] * inv;
    *lse = nan ? NAN : (float) (m + log(z));
}

#if defined(__x86_64__)
/** 16-lane loops; head dims up to 256 (16 accumulators), any n. */
template <int DT>
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline void attend_avx512(
        const float* q, const void* k, long long k_ld, const void* v, long long v_ld, int n, int hd, float scale,
        float* s, float* out, float* lse) {
    const int chunks = (hd + 15) / 16;
    const __mmask16 last = (__mmask16) (hd % 16 == 0 ? 0xffff : (1u << (hd % 16)) - 1);
    __m512 qv[16];
    for (int c = 0; c < chunks; c++) qv[c] = _mm512_maskz_loadu_ps(c == chunks - 1 ? last : 0xffff, q + 16 * c);
    // scores, four keys per step so that four independent FMA chains hide the latency
    // Prefetch: K rows 8 keys ahead into L1 and the same V rows into L2, so that the V pass below reads L2. A core
    // streams only as fast as its misses in flight allow; the hardware prefetchers alone left it at ≈ 9 GB/s
    // (docs/kernels.md, "Attention on the CPU").
    const int row_bytes = hd * (DT == 0 ? 4 : 2), esz = DT == 0 ? 4 : 2;
    const char *kb = (const char*) k, *vb = (const char*) v;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        long long b0 = (long long) j * k_ld, b1 = b0 + k_ld, b2 = b1 + k_ld, b3 = b2 + k_ld;
        if (j + 12 <= n) {
            for (int r = 8; r < 12; r++) {
                const char* kr = kb + (long long) (j + r) * k_ld * esz;
                const char* vr = vb + (long long) (j + r) * v_ld * esz;
                for (int o = 0; o < row_bytes; o += 64) {
                    _mm_prefetch(kr + o, _MM_HINT_T0);
                    _mm_prefetch(vr + o, _MM_HINT_T1);
                }
            }
        }
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < chunks; c++) {
            __mmask16 m = c == chunks - 1 ? last : 0xffff;
            a0 = _mm512_fmadd_ps(pn_cpu::wload<DT>(k, b0 + 16 * c, m), qv[c], a0);
            a1 = _mm512_fmadd_ps(pn_cpu::wload<DT>(k, b1 + 16 * c, m), qv[c], a1);
            a2 = _mm512_fmadd_ps(pn_cpu::wload<DT>(k, b2 + 16 * c, m), qv[c], a2);
            a3 = _mm512_fmadd_ps(pn_cpu::wload<DT>(k, b3 + 16 * c, m), qv[c], a3);
        }
        s[j] = scale * _mm512_reduce_add_ps(a0);
        s[j + 1] = scale * _mm512_reduce_add_ps(a1);
        s[j + 2] = scale * _mm512_reduce_add_ps(a2);
        s[j + 3] = scale * _mm512_reduce_add_ps(a3);
    }
    for (; j < n; j++) {
        __m512 a = _mm512_setzero_ps();
        for (int c = 0; c < chunks; c++)
            a = _mm512_fmadd_ps(pn_cpu::wload<DT>(k, (long long) j * k_ld + 16 * c, c == chunks - 1 ? last : 0xffff), qv[c], a);
        s[j] = scale * _mm512_reduce_add_ps(a);
    }
    // the maximum (the scores are scaled already: a factor of 1 is exact), and whether some score is NaN
    const __m512 one = _mm512_set1_ps(1.0f);
    bool nan;
    float m = scaled_max(s, n, one, &nan);
    if (!nan && m == -INFINITY) {                                  // every score −∞: the row sees no key
        for (int c = 0; c < hd; c++) out[c] = 0;
        *lse = -INFINITY;
        return;
    }
    // p_j = e^(s_j − m) in place, Z in 16 float lanes and then in double
    double z = exp_shifted_sum(s, n, one, _mm512_set1_ps(m));
    // out = Σ_j p_j · V[j] / Z
    __m512 acc[16];
    for (int c = 0; c < chunks; c++) acc[c] = _mm512_setzero_ps();
    for (j = 0; j < n; j++) {
        __m512 p = _mm512_set1_ps(s[j]);
        long long b = (long long) j * v_ld;
        for (int c = 0; c < chunks; c++)
            acc[c] = _mm512_fmadd_ps(p, pn_cpu::wload<DT>(v, b + 16 * c, c == chunks - 1 ? last : 0xffff), acc[c]);
    }
    __m512 inv = _mm512_set1_ps(nan ? NAN : (float) (1 / z));
    for (int c = 0; c < chunks; c++) _mm512_mask_storeu_ps(out + 16 * c, c == chunks - 1 ? last : 0xffff, _mm512_mul_ps(acc[c], inv));
    *lse = nan ? NAN : (float) (m + log(z));
}
#endif

inline int attend_row(int dtype, long long q_addr, long long k_addr, long long k_ld, long long v_addr, long long v_ld,
                      int n, int hd, float scale, long long scratch_addr, long long out_addr, long long lse_addr) {
    if (dtype < 0 || dtype > 2 || n < 0 || hd <= 0 || q_addr == 0 || out_addr == 0 || lse_addr == 0) return 1;
    if (n > 0 && (k_addr == 0 || v_addr == 0 || scratch_addr == 0 || k_ld < hd || v_ld < hd)) return 1;
    const float* q = (const float*) (uintptr_t) q_addr;
    const void* k = (const void*) (uintptr_t) k_addr;
    const void* v = (const void*) (uintptr_t) v_addr;
    float* s = (float*) (uintptr_t) scratch_addr;
    float* out = (float*) (uintptr_t) out_addr;
    float* lse = (float*) (uintptr_t) lse_addr;
    if (n == 0) {
        for (int c = 0; c < hd; c++) out[c] = 0;
        *lse = -INFINITY;
        return 0;
    }
#if defined(__x86_64__)
    static const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    if (avx512 && hd <= 256) {
        if (dtype == 0) attend_avx512<0>(q, k, k_ld, v, v_ld, n, hd, scale, s, out, lse);
        else if (dtype == 1) attend_avx512<1>(q, k, k_ld, v, v_ld, n, hd, scale, s, out, lse);
        else attend_avx512<2>(q, k, k_ld, v, v_ld, n, hd, scale, s, out, lse);
        return 0;
    }
#endif
    if (dtype == 0) attend_scalar<0>(q, k, k_ld, v, v_ld, n, hd, scale, s, out, lse);
    else if (dtype == 1) attend_scalar<1>(q, k, k_ld, v, v_ld, n, hd, scale, s, out, lse);
    else attend_scalar<2>(q, k, k_ld, v, v_ld, n, hd, scale, s, out, lse);
    return 0;
}

#if defined(__x86_64__)
/**
 * Softmax of a block's score rows in place, as CpuAttention's blocked path does it: row r of [rows, ld] floats holds
 * Q·Kᵀ for keys [0, ld); it sees keys [0, lim_r) with lim_r = min(ld, first_lim + r) when causal, else ld (at least
 * 0). x_j = scale·s_j, p_j = e^(x_j − max) / Σ e^(x_k − max) for j < lim_r, 0 for the keys after; lse_r = max + ln Σ.
 * A row that sees no key (or whose scores are all −∞) is zeros with lse −∞; a NaN score makes the row NaN.
 */
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline void softmax_rows_avx512(float* s, int ld, int rows, int causal,
                                                                             int first_lim, float scale, float* lse) {
    const __m512 sc = _mm512_set1_ps(scale);
    for (int r = 0; r < rows; r++) {
        float* row = s + (long long) r * ld;
        int lim = causal ? first_lim + r : ld;
        if (lim > ld) lim = ld;
        if (lim < 0) lim = 0;
        bool nan;
        float m = scaled_max(row, lim, sc, &nan);
        for (int j = lim; j < ld; j++) row[j] = 0;
        if (!nan && m == -INFINITY) {
            for (int j = 0; j < lim; j++) row[j] = 0;
            lse[r] = -INFINITY;
            continue;
        }
        double z = exp_shifted_sum(row, lim, sc, _mm512_set1_ps(nan ? NAN : m));
        __m512 inv = _mm512_set1_ps((float) (1 / z));
        for (int j = 0; j < lim; j += 16) {
            __mmask16 msk = tail_mask(lim - j);
            _mm512_mask_storeu_ps(row + j, msk, _mm512_mul_ps(_mm512_maskz_loadu_ps(msk, row + j), inv));
        }
        lse[r] = nan ? NAN : (float) (m + log(z));
    }
}
#endif

/**
 * The blocked backward's element-wise part over a block's rows, in place: row r of s [rows, ld] holds Q·Kᵀ and of dp
 * [rows, ld] holds dO·Vᵀ; it sees keys [0, lim_r) (lim_r = min(ld, first_lim + r) when causal, else ld, at least 0).
 * There P = e^(scale·s − lse_r) goes into s and dS = scale·P·(dp − d_r) into dp; both are 0 after lim_r, and a row
 * with lse_r = −∞ (it saw no key) is 0 throughout. d_r = dO_r·O_r (computed by the caller).
 */
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline void backward_rows_avx512(float* s, float* dp, int ld, int rows,
                                                                              int causal, int first_lim, float scale,
                                                                              const float* lse, const float* d) {
    const __m512 sc = _mm512_set1_ps(scale);
    for (int r = 0; r < rows; r++) {
        float* srow = s + (long long) r * ld;
        float* drow = dp + (long long) r * ld;
        int lim = causal ? first_lim + r : ld;
        if (lim > ld) lim = ld;
        if (lim < 0) lim = 0;
        if (lse[r] == -INFINITY) lim = 0;                              // saw no key: no gradient
        const __m512 l = _mm512_set1_ps(lse[r]), dv = _mm512_set1_ps(d[r]);
        for (int j = 0; j < lim; j += 16) {
            __mmask16 m = tail_mask(lim - j);
            __m512 p = pn_cpu_act::exp512(_mm512_fmsub_ps(sc, _mm512_maskz_loadu_ps(m, srow + j), l));
            __m512 ds = _mm512_mul_ps(sc, _mm512_mul_ps(p, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, drow + j), dv)));
            _mm512_mask_storeu_ps(srow + j, m, p);
            _mm512_mask_storeu_ps(drow + j, m, ds);
        }
        for (int j = lim; j < ld; j++) srow[j] = drow[j] = 0;
    }
}

/** backward_rows: 0, or 1 for bad arguments or without AVX-512 (the caller keeps its own loop). */
inline int backward_rows(long long s_addr, long long dp_addr, int ld, int rows, int causal, int first_lim, float scale,
                         long long lse_addr, long long d_addr) {
    if (s_addr == 0 || dp_addr == 0 || lse_addr == 0 || d_addr == 0 || ld < 0 || rows < 0) return 1;
#if defined(__x86_64__)
    static const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    if (avx512) {
        backward_rows_avx512((float*) (uintptr_t) s_addr, (float*) (uintptr_t) dp_addr, ld, rows, causal, first_lim, scale,
                             (const float*) (uintptr_t) lse_addr, (const float*) (uintptr_t) d_addr);
        return 0;
    }
#endif
    (void) causal; (void) first_lim; (void) scale;
    return 1;
}

/** softmax_rows: 0, or 1 for bad arguments or without AVX-512 (the caller keeps its own loop). */
inline int softmax_rows(long long s_addr, int ld, int rows, int causal, int first_lim, float scale, long long lse_addr) {
    if (s_addr == 0 || lse_addr == 0 || ld < 0 || rows < 0) return 1;
#if defined(__x86_64__)
    static const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    if (avx512) {
        softmax_rows_avx512((float*) (uintptr_t) s_addr, ld, rows, causal, first_lim, scale, (float*) (uintptr_t) lse_addr);
        return 0;
    }
#endif
    (void) causal; (void) first_lim; (void) scale;
    return 1;
}

}  // namespace pn_cpu_attn

inline int pn_cpu_softmax_rows(long long s, int ld, int rows, int causal, int first_lim, float scale, long long lse) {
    return pn_cpu_attn::softmax_rows(s, ld, rows, causal, first_lim, scale, lse);
}

inline int pn_cpu_attn_backward_rows(long long s, long long dp, int ld, int rows, int causal, int first_lim, float scale,
                                     long long lse, long long d) {
    return pn_cpu_attn::backward_rows(s, dp, ld, rows, causal, first_lim, scale, lse, d);
}

inline int pn_cpu_attend_row(int dtype, long long q, long long k, long long k_ld, long long v, long long v_ld, int n, int hd,
                             float scale, long long scratch, long long out, long long lse) {
    return pn_cpu_attn::attend_row(dtype, q, k, k_ld, v, v_ld, n, hd, scale, scratch, out, lse);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif
