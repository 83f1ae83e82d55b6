/*
 * pn_cpu_amx.h — products with bfloat16 weights on Intel AMX tiles, for the CPU backend's prefill and training
 * forward passes over BF16 checkpoints. Header-only: compiled into the same JNI library as pn_cpu.h by JavaCPP.
 *
 *   pn_cpu_amx_available():  1 when the CPU has AMX-TILE and AMX-BF16 and the kernel granted this process the tile
 *                            state (Linux arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA)), else 0
 *   pn_cpu_gemm_bf16(w_trans, x, ldx, w, ldw, y, ldy, m, k, n0, n1):
 *       w_trans = 1:  Y[i, j] = Σ_c bf16(X[i, c]) · W[j, c]   W bfloat16 [n, k], a weight [out, in] as checkpoints store
 *                     it, read as Wᵀ (a linear layer's forward, y = x·Wᵀ)
 *       w_trans = 0:  Y[i, j] = Σ_c bf16(X[i, c]) · W[c, j]   W bfloat16 [k, n] (backward's dx = dy·W)
 *       for i in [0, m), j in [n0, n1), c in [0, k); X float32 [m, k] (row stride ldx), W row stride ldw, Y float32 (row
 *       stride ldy). Returns 0, or 1 for bad arguments or without AMX.
 *
 * Numerics: X is rounded to bfloat16 (round to nearest even) once, as the one-row BF16 kernel of pn_cpu.h and
 * llama.cpp/oneDNN do; products of two bfloat16 values are exact in float32, and tdpbf16ps accumulates them in
 * float32. So |Y − X·Wᵀ| ≤ 2⁻⁹ · Σ_c |X W| plus float32 accumulation (NativeAmxGemmTest; docs/kernels.md,
 * "BF16 products on AMX tiles").
 *
 * Why: a BF16 model's prefill widened every weight tile to float32 in Java and ran OpenBLAS's sgemm (≈ 165 GFLOP/s per
 * core here), so half weights were slower than F32 ones. One tdpbf16ps multiplies a 16×32 by a 32×16 bfloat16 tile
 * (16,384 flops); a loop of them ran at ≈ 3.6 TFLOP/s on one core of this machine.
 *
 * Blocking: the caller's range [n0, n1) is cut into panels of 32 columns; each panel of W is packed once into the
 * tiles' VNNI layout (row kk of a B tile holds, for 16 columns j, the pair of reduction indices 2kk, 2kk + 1: W[j, 2kk],
 * W[j, 2kk + 1] from a [n, k] weight, W[2kk, j], W[2kk + 1, j] from a [k, n] one) and then
 * multiplied by every 32-row block of X: 2 × 2 accumulator tiles (C 0–3), two A tiles (4, 5) and two B tiles (6, 7)
 * per step of 32 along k. X is converted to bfloat16 once per call into a per-thread buffer padded to whole tiles
 * (zero rows and columns), as is the panel, so tails need no special case beyond the final store (whole C tiles are
 * stored straight into Y, partial ones through a staging tile). Only W's columns (or rows) [n0, n1) and its reduction
 * indices [0, k) are read.
 */
#ifndef PN_CPU_AMX_H
#define PN_CPU_AMX_H

#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#if defined(__x86_64__) && defined(__linux__)
#include <immintrin.h>
#include <cpuid.h>
#include <unistd.h>
#include <sys/syscall.h>
#define PN_AMX 1
#endif

namespace pn_cpu_amx {

#if defined(PN_AMX)
inline bool request_tiles() {
    unsigned a, b, c, d;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    bool tile = d & (1u << 24), bf16 = d & (1u << 22);
    bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                  && __builtin_cpu_supports("avx512bf16");
    if (!tile || !bf16 || !avx512) return false;
    const long ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
    return syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0;
}

inline bool available() {
    static const bool ok = request_tiles();
    return ok;
}

struct TileConfig {
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

/** A per-thread buffer that grows as needed (never shrinks: the same shapes come back every layer). */
struct Scratch {
    void* p = nullptr;
    size_t bytes = 0;
    void* at_least(size_t n) {
        if (n > bytes) {
            free(p);
            p = aligned_alloc(64, (n + 63) & ~(size_t) 63);
            bytes = p ? n : 0;
        }
        return p;
    }
    ~Scratch() { free(p); }
};

/** X [m, k] float32 → bfloat16 [mp, kp] (round to nearest even), zero-padded to whole tiles. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16"))) inline void convert_x(const float* x, long long ldx, int m, int k,
                                                                                uint16_t* xb, int mp, int kp) {
    for (int i = 0; i < mp; i++) {
        uint16_t* row = xb + (long long) i * kp;
        if (i >= m) {
            memset(row, 0, sizeof(uint16_t) * kp);
            continue;
        }
        const float* src = x + (long long) i * ldx;
        int c = 0;
        for (; c + 16 <= k; c += 16) _mm256_storeu_si256((__m256i*) (row + c), (__m256i) _mm512_cvtneps_pbh(_mm512_loadu_ps(src + c)));
        if (c < k) {
            __mmask16 t = (__mmask16) ((1u << (k - c)) - 1);
            __m256i v = (__m256i) _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(t, src + c));
            _mm256_mask_storeu_epi16(row + c, t, v);
            c = k;
        }
        for (; c < kp; c++) row[c] = 0;
    }
}

/**
 * W rows [j0, j0 + cols) (cols ≤ 32; missing columns are zeros) → two B tiles per k-step: panel[s][t][kk][col] with s
 * the step of 32 along k, t the tile (columns 16t..16t+15), kk in [0, 16): the pair W[j0 + 16t + col, 32s + 2kk + {0, 1}]
 * as one 32-bit word (zeros past k). A full 16 × 32 block is a transpose of 16 × 16 words without branches.
 */
inline void pack_panel(const uint16_t* w, long long ldw, int j0, int cols, int k, int kp, uint32_t* panel) {
    int steps = kp / 32, fullSteps = k / 32;
    for (int s = 0; s < steps; s++) {
        for (int t = 0; t < 2; t++) {
            uint32_t* tile = panel + ((long long) s * 2 + t) * 256;          // 16 rows kk × 16 columns
            int c0 = 16 * t, n = cols - c0 < 0 ? 0 : (cols - c0 > 16 ? 16 : cols - c0);
            if (n == 16 && s < fullSteps) {
                for (int col = 0; col < 16; col++) {
                    const uint32_t* src = (const uint32_t*) (w + (long long) (j0 + c0 + col) * ldw + 32 * s);   // 16 pairs
                    uint32_t words[16];
                    memcpy(words, src, sizeof words);                          // W rows need not be 4-byte aligned
                    for (int kk = 0; kk < 16; kk++) tile[kk * 16 + col] = words[kk];
                }
                continue;
            }
            int avail = k - 32 * s;                                            // columns of W left in this step
            for (int col = 0; col < 16; col++) {
                const uint16_t* src = col < n ? w + (long long) (j0 + c0 + col) * ldw + 32 * s : nullptr;
                for (int kk = 0; kk < 16; kk++) {
                    uint32_t lo = src && 2 * kk < avail ? src[2 * kk] : 0, hi = src && 2 * kk + 1 < avail ? src[2 * kk + 1] : 0;
                    tile[kk * 16 + col] = lo | (hi << 16);
                }
            }
        }
    }
}

/**
 * The same panel from W stored [k, n] (Y = X·W, backward's dX = dY·W of a linear layer): the pair of tile row kk,
 * column col is W[32s + 2kk + {0, 1}, j0 + 16t + col], two consecutive rows interleaved (zeros past k and past cols).
 */
inline void pack_panel_nn(const uint16_t* w, long long ldw, int j0, int cols, int k, int kp, uint32_t* panel) {
    int steps = kp / 32;
    for (int s = 0; s < steps; s++) {
        for (int t = 0; t < 2; t++) {
            uint32_t* tile = panel + ((long long) s * 2 + t) * 256;
            int c0 = 16 * t, n = cols - c0 < 0 ? 0 : (cols - c0 > 16 ? 16 : cols - c0);
            for (int kk = 0; kk < 16; kk++) {
                int r = 32 * s + 2 * kk;
                const uint16_t* lo = r < k ? w + (long long) r * ldw + j0 + c0 : nullptr;
                const uint16_t* hi = r + 1 < k ? w + (long long) (r + 1) * ldw + j0 + c0 : nullptr;
                uint32_t* out = tile + kk * 16;
                for (int col = 0; col < 16; col++) {
                    uint32_t a = lo && col < n ? lo[col] : 0, b = hi && col < n ? hi[col] : 0;
                    out[col] = a | (b << 16);
                }
            }
        }
    }
}

template <bool W_TRANS>
__attribute__((target("amx-tile,amx-bf16,avx512f"))) inline void gemm_nt(const float* x, long long ldx, const uint16_t* w, long long ldw,
                                                                  float* y, long long ldy, int m, int k, int n0, int n1) {
    static thread_local Scratch xs, ps;
    int mp = (m + 31) & ~31, kp = (k + 31) & ~31, steps = kp / 32;
    uint16_t* xb = (uint16_t*) xs.at_least(sizeof(uint16_t) * (size_t) mp * kp);
    uint32_t* panel = (uint32_t*) ps.at_least(sizeof(uint32_t) * 512 * (size_t) steps);
    if (!xb || !panel) return;
    convert_x(x, ldx, m, k, xb, mp, kp);

    TileConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) {
        cfg.rows[t] = 16;
        cfg.colsb[t] = 64;                                                     // 16 floats, 32 bf16 or 16 bf16 pairs
    }
    _tile_loadconfig(&cfg);
    alignas(64) float c[16 * 16];
    for (int j0 = n0; j0 < n1; j0 += 32) {
        int cols = n1 - j0 < 32 ? n1 - j0 : 32;
        if (W_TRANS) pack_panel(w, ldw, j0, cols, k, kp, panel);
        else pack_panel_nn(w, ldw, j0, cols, k, kp, panel);
        for (int i0 = 0; i0 < mp; i0 += 32) {
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
            const uint16_t* a0 = xb + (long long) i0 * kp;
            const uint16_t* a1 = a0 + 16LL * kp;
            for (int s = 0; s < steps; s++) {
                _tile_loadd(4, a0 + 32 * s, kp * 2);
                _tile_loadd(5, a1 + 32 * s, kp * 2);
                _tile_loadd(6, panel + (long long) s * 512, 64);
                _tile_loadd(7, panel + (long long) s * 512 + 256, 64);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 4, 7);
                _tile_dpbf16ps(2, 5, 6);
                _tile_dpbf16ps(3, 5, 7);
            }
            // C tile q covers rows i0 + 16·(q/2) and columns j0 + 16·(q%2): whole tiles go straight to Y
#define PN_AMX_STORE(q)                                                                                          \
            {                                                                                                    \
                int r0 = i0 + 16 * ((q) / 2), cc0 = 16 * ((q) % 2);                                              \
                if (r0 + 16 <= m && cc0 + 16 <= cols) {                                                          \
                    _tile_stored(q, y + (long long) r0 * ldy + j0 + cc0, ldy * 4);                                \
                } else if (r0 < m && cc0 < cols) {                                                               \
                    _tile_stored(q, c, 64);                                                                      \
                    for (int r = 0; r < 16 && r0 + r < m; r++)                                                   \
                        for (int col = 0; col < 16 && cc0 + col < cols; col++)                                   \
                            y[(long long) (r0 + r) * ldy + j0 + cc0 + col] = c[r * 16 + col];                    \
                }                                                                                                \
            }
            PN_AMX_STORE(0)
            PN_AMX_STORE(1)
            PN_AMX_STORE(2)
            PN_AMX_STORE(3)
#undef PN_AMX_STORE
        }
    }
    _tile_release();
}
#endif

inline int gemm_bf16(int w_trans, long long x_addr, long long ldx, long long w_addr, long long ldw, long long y_addr, long long ldy,
                     int m, int k, int n0, int n1) {
    if (m < 0 || k < 0 || n0 < 0 || n1 < n0 || ldx < k || ldy < n1 || x_addr == 0 || w_addr == 0 || y_addr == 0) return 1;
    if (w_trans ? ldw < k : ldw < n1) return 1;
#if defined(PN_AMX)
    if (!available()) return 1;
    if (m == 0 || n1 == n0) return 0;
    if (k == 0) {
        for (int i = 0; i < m; i++) for (int j = n0; j < n1; j++) ((float*) (uintptr_t) y_addr)[(long long) i * ldy + j] = 0;
        return 0;
    }
    const float* x = (const float*) (uintptr_t) x_addr;
    const uint16_t* w = (const uint16_t*) (uintptr_t) w_addr;
    float* y = (float*) (uintptr_t) y_addr;
    if (w_trans) gemm_nt<true>(x, ldx, w, ldw, y, ldy, m, k, n0, n1);
    else gemm_nt<false>(x, ldx, w, ldw, y, ldy, m, k, n0, n1);
    return 0;
#else
    (void) w_trans;
    return 1;
#endif
}

inline int amx_available() {
#if defined(PN_AMX)
    return available() ? 1 : 0;
#else
    return 0;
#endif
}

}  // namespace pn_cpu_amx

inline int pn_cpu_amx_available() { return pn_cpu_amx::amx_available(); }

inline int pn_cpu_gemm_bf16(int w_trans, long long x, long long ldx, long long w, long long ldw, long long y, long long ldy, int m,
                            int k, int n0, int n1) {
    return pn_cpu_amx::gemm_bf16(w_trans, x, ldx, w, ldw, y, ldy, m, k, n0, n1);
}

#endif
