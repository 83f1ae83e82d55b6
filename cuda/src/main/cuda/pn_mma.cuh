/*
 * pn_mma.cuh — the BF16 tensor-core primitives of the kernels (attention_bf16.cu), the one place where they are
 * written twice: under nvcc as the PTX instructions (sm_80 and later), under g++ as their emulation in
 * simt_mma.cuh (the same register layouts, computed on the CPU). Kernels call only these functions, so the source
 * that the tests run on the emulated device is the source nvcc compiles. (perennial_compat.h is the shim for
 * launches and pragmas; this is its counterpart for tensor-core instructions.)
 *
 *   mma_bf16_16816(d[4], a[4], b[2])   d += A B: A [16, 16] and B [16, 8] bf16, d [16, 8] f32 in the m16n8k16
 *                                      fragment layout (simt_mma.cuh spells it out); all 32 lanes of the warp
 *   ldmatrix_x4(r[4], row)             four 8x8 bf16 matrices from shared memory; lane l gives the 16-byte aligned
 *   ldmatrix_x4_trans(r[4], row)       address of row l % 8 of matrix l / 8; .trans delivers them transposed
 *   bf16_rn(x), pack_bf16x2(lo, hi)    float32 -> bf16 rounded to nearest even (NaN stays NaN), two in one word
 */
#ifndef PN_MMA_CUH
#define PN_MMA_CUH

#include "perennial_compat.h"

#ifndef __CUDACC__
#include "simt_mma.cuh"
#endif

namespace pn {

// The bf16 bits of x rounded to nearest, ties to even (the rounding of __float2bfloat16_rn); a NaN stays a quiet
// NaN. Integer arithmetic so the emulated device gives the same bits.
__device__ __forceinline__ unsigned bf16_rn(float x) {
    const unsigned u = __float_as_uint(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    return (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
}

// Two floats as one register of two bf16: lo in bits 0..15 (the lower-indexed element of a fragment pair).
__device__ __forceinline__ unsigned pack_bf16x2(float lo, float hi) { return bf16_rn(lo) | (bf16_rn(hi) << 16); }

#ifdef __CUDACC__

__device__ __forceinline__ void mma_bf16_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
                 "{%8, %9}, {%0, %1, %2, %3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ void ldmatrix_x4(unsigned (&r)[4], const void* row) {
    const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(row));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

__device__ __forceinline__ void ldmatrix_x4_trans(unsigned (&r)[4], const void* row) {
    const unsigned address = static_cast<unsigned>(__cvta_generic_to_shared(row));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(address));
}

#else

inline void mma_bf16_16816(float (&d)[4], const unsigned (&a)[4], unsigned b0, unsigned b1) {
    const unsigned b[2] = {b0, b1};
    simt::mma_bf16_16816(d, a, b);
}

inline void ldmatrix_x4(unsigned (&r)[4], const void* row) { simt::ldmatrix_x4<false>(r, row); }

inline void ldmatrix_x4_trans(unsigned (&r)[4], const void* row) { simt::ldmatrix_x4<true>(r, row); }

#endif

}  // namespace pn

#endif
