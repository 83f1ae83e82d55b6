/*
 * pn_cpu.h — native CPU kernels for the CPU backend's one-row products (a decode step: y = W·x with W a weight
 * [rows, k] in its stored precision). Header-only: compiled into libjniCpuKernels by JavaCPP (native/pom.xml).
 *
 *   pn_cpu_gemv(dtype, w, ld, x, y, r0, r1, k):  y[r] = Σ_j W[r, j] · x[j] for r in [r0, r1)
 *       dtype 0 = F32, 1 = BF16, 2 = F16; W row-major with leading dimension ld (elements); x, y float32.
 *       Addresses are passed as integers (the Java side owns the memory). Returns 0, or 1 for bad arguments.
 *
 * Why: a decode step is memory-bound, and OpenBLAS's sgemv streams this machine's weights at ≈ 22 GB/s on two
 * threads against ≈ 31 GB/s for four-row AVX-512 dot products (docs/performance.md, "Decode kernels"); half
 * weights were widened to F32 tile by tile in Java before each product. Dispatch happens at run time: AVX-512
 * kernels (F32 FMA; BF16 with the AVX512-BF16 dot-product instruction where the CPU has it, which rounds x to
 * bfloat16 as llama.cpp and oneDNN do, else exact widening by a 16-bit shift; F16 by vcvtph2ps) when the CPU has
 * AVX-512F/BW, plain loops otherwise. Every path accumulates in float32.
 */
#ifndef PN_CPU_H
#define PN_CPU_H

#include <stdint.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// GCC's _mm512_reduce_add_ps starts from an undefined vector and -Wmaybe-uninitialized reports it inside ours
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

namespace pn_cpu {

inline float bf16_to_float(uint16_t b) {
    uint32_t u = (uint32_t) b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

inline float f16_to_float(uint16_t h) {
    uint32_t sign = (uint32_t) (h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, u;
    if (exp == 0) {
        if (man == 0) u = sign;
        else {                                                   // subnormal: normalise
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400));
            u = sign | ((uint32_t) (127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) u = sign | 0x7f800000u | (man << 13);
    else u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    float f;
    memcpy(&f, &u, 4);
    return f;
}

template <int DT>
inline float load(const void* w, long long i) {
    if (DT == 0) return ((const float*) w)[i];
    if (DT == 1) return bf16_to_float(((const uint16_t*) w)[i]);
    return f16_to_float(((const uint16_t*) w)[i]);
}

/** Plain loops: any CPU, and the rows/columns the vector kernels leave. */
template <int DT>
inline void gemv_scalar(const void* w, long long ld, const float* x, float* y, int r0, int r1, int k) {
    for (int r = r0; r < r1; r++) {
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        long long base = (long long) r * ld;
        int j = 0;
        for (; j + 8 <= k; j += 8)
            for (int q = 0; q < 8; q++) acc[q] += load<DT>(w, base + j + q) * x[j + q];
        float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; j < k; j++) s += load<DT>(w, base + j) * x[j];
        y[r] = s;
    }
}

#if defined(__x86_64__)
/** 16 weights of row w at column j as floats (mask m for a partial tail). */
template <int DT>
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline __m512 wload(const void* w, long long at, __mmask16 m) {
    if (DT == 0) return _mm512_maskz_loadu_ps(m, (const float*) w + at);
    __m256i h = _mm256_maskz_loadu_epi16(m, (const uint16_t*) w + at);
    if (DT == 1) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    return _mm512_cvtph_ps(h);
}

/** Four rows at a time, 16 columns per step, one accumulator per row (F32, exact-widened BF16, F16). */
template <int DT>
__attribute__((target("avx512f,avx512bw,avx512vl"))) inline void gemv_avx512(const void* w, long long ld, const float* x, float* y,
                                                                     int r0, int r1, int k) {
    int r = r0;
    int full = k & ~15;
    __mmask16 tail = (__mmask16) ((1u << (k - full)) - 1);
    for (; r + 4 <= r1; r += 4) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        long long b0 = (long long) r * ld, b1 = b0 + ld, b2 = b1 + ld, b3 = b2 + ld;
        for (int j = 0; j < full; j += 16) {
            if (DT != 0 && (j & 31) == 0) {              // half rows: the next group's lines, as in gemv_bf16_dp
                const char* nb = (const char*) w + 2 * (b3 + ld + j);
                _mm_prefetch(nb, _MM_HINT_T0);
                _mm_prefetch(nb + 2 * ld, _MM_HINT_T0);
                _mm_prefetch(nb + 4 * ld, _MM_HINT_T0);
                _mm_prefetch(nb + 6 * ld, _MM_HINT_T0);
            }
            __m512 xv = _mm512_loadu_ps(x + j);
            a0 = _mm512_fmadd_ps(wload<DT>(w, b0 + j, 0xffff), xv, a0);
            a1 = _mm512_fmadd_ps(wload<DT>(w, b1 + j, 0xffff), xv, a1);
            a2 = _mm512_fmadd_ps(wload<DT>(w, b2 + j, 0xffff), xv, a2);
            a3 = _mm512_fmadd_ps(wload<DT>(w, b3 + j, 0xffff), xv, a3);
        }
        if (tail) {
            __m512 xv = _mm512_maskz_loadu_ps(tail, x + full);
            a0 = _mm512_fmadd_ps(wload<DT>(w, b0 + full, tail), xv, a0);
            a1 = _mm512_fmadd_ps(wload<DT>(w, b1 + full, tail), xv, a1);
            a2 = _mm512_fmadd_ps(wload<DT>(w, b2 + full, tail), xv, a2);
            a3 = _mm512_fmadd_ps(wload<DT>(w, b3 + full, tail), xv, a3);
        }
        y[r] = _mm512_reduce_add_ps(a0);
        y[r + 1] = _mm512_reduce_add_ps(a1);
        y[r + 2] = _mm512_reduce_add_ps(a2);
        y[r + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; r < r1; r++) {
        __m512 a = _mm512_setzero_ps();
        long long b = (long long) r * ld;
        for (int j = 0; j < full; j += 16) a = _mm512_fmadd_ps(wload<DT>(w, b + j, 0xffff), _mm512_loadu_ps(x + j), a);
        if (tail) a = _mm512_fmadd_ps(wload<DT>(w, b + full, tail), _mm512_maskz_loadu_ps(tail, x + full), a);
        y[r] = _mm512_reduce_add_ps(a);
    }
}

/**
 * BF16 rows with the AVX512-BF16 dot product: 32 columns per instruction, x rounded to bfloat16 (round to nearest
 * even, by the instruction) once per call; columns beyond the last multiple of 32 use exact widening.
 */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) inline void gemv_bf16_dp(const uint16_t* w, long long ld, const float* x,
                                                                                 float* y, int r0, int r1, int k) {
    int full = k & ~31;
    uint16_t xb[full > 0 ? full : 1];
    for (int j = 0; j < full; j += 32) {
        __m512bh pair = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(x + j + 16), _mm512_loadu_ps(x + j));
        _mm512_storeu_si512(xb + j, (__m512i) pair);
    }
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        const uint16_t *w0 = w + (long long) r * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
        for (int j = 0; j < full; j += 32) {
            // the next group's rows, one line ahead per row: a one-row product is a stream bounded by the misses in
            // flight, and the hardware prefetchers alone left a core at ≈ 8 GB/s (docs/kernels.md, "Decode rows and the row softmax")
            _mm_prefetch((const char*) (w3 + ld + j), _MM_HINT_T0);
            _mm_prefetch((const char*) (w3 + 2 * ld + j), _MM_HINT_T0);
            _mm_prefetch((const char*) (w3 + 3 * ld + j), _MM_HINT_T0);
            _mm_prefetch((const char*) (w3 + 4 * ld + j), _MM_HINT_T0);
            __m512bh xv = (__m512bh) _mm512_loadu_si512(xb + j);
            a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_loadu_si512(w0 + j), xv);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh) _mm512_loadu_si512(w1 + j), xv);
            a2 = _mm512_dpbf16_ps(a2, (__m512bh) _mm512_loadu_si512(w2 + j), xv);
            a3 = _mm512_dpbf16_ps(a3, (__m512bh) _mm512_loadu_si512(w3 + j), xv);
        }
        float s[4] = {_mm512_reduce_add_ps(a0), _mm512_reduce_add_ps(a1), _mm512_reduce_add_ps(a2), _mm512_reduce_add_ps(a3)};
        for (int q = 0; q < 4; q++) {
            const uint16_t* row = w + (long long) (r + q) * ld;
            for (int j = full; j < k; j++) s[q] += bf16_to_float(row[j]) * x[j];
            y[r + q] = s[q];
        }
    }
    if (r < r1) gemv_avx512<1>(w, ld, x, y, r, r1, k);
}
#endif

inline int gemv(int dtype, long long w_addr, long long ld, long long x_addr, long long y_addr, int r0, int r1, int k) {
    if (dtype < 0 || dtype > 2 || r0 < 0 || r1 < r0 || k < 0 || ld < k || w_addr == 0 || x_addr == 0 || y_addr == 0) return 1;
    const void* w = (const void*) (uintptr_t) w_addr;
    const float* x = (const float*) (uintptr_t) x_addr;
    float* y = (float*) (uintptr_t) y_addr;
#if defined(__x86_64__)
    static const int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
    static const int bf16dp = avx512 && __builtin_cpu_supports("avx512bf16");
    if (avx512) {
        if (dtype == 0) gemv_avx512<0>(w, ld, x, y, r0, r1, k);
        else if (dtype == 1 && bf16dp) gemv_bf16_dp((const uint16_t*) w, ld, x, y, r0, r1, k);
        else if (dtype == 1) gemv_avx512<1>(w, ld, x, y, r0, r1, k);
        else gemv_avx512<2>(w, ld, x, y, r0, r1, k);
        return 0;
    }
#endif
    if (dtype == 0) gemv_scalar<0>(w, ld, x, y, r0, r1, k);
    else if (dtype == 1) gemv_scalar<1>(w, ld, x, y, r0, r1, k);
    else gemv_scalar<2>(w, ld, x, y, r0, r1, k);
    return 0;
}

/** Which path gemv takes for a dtype on this CPU: "avx512", "avx512-bf16-dot" or "scalar". */
inline const char* path(int dtype) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) {
        return dtype == 1 && __builtin_cpu_supports("avx512bf16") ? "avx512-bf16-dot" : "avx512";
    }
#endif
    (void) dtype;
    return "scalar";
}

}  // namespace pn_cpu

inline int pn_cpu_gemv(int dtype, long long w, long long ld, long long x, long long y, int r0, int r1, int k) {
    return pn_cpu::gemv(dtype, w, ld, x, y, r0, r1, k);
}

inline const char* pn_cpu_path(int dtype) { return pn_cpu::path(dtype); }

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif
