/*
 * simt_mma.cuh — the emulated device's (simt_emu.h) form of the two warp-wide tensor-core instructions the BF16
 * attention kernels use through pn_mma.cuh: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 and
 * ldmatrix.sync.aligned.m8n8.x4[.trans].shared.b16. Only pn_mma.cuh includes it, and only under g++.
 *
 * Both are warp exchanges (simt::warp_exchange): every one of the 32 lanes must arrive (all 32, or the launch fails
 * with 719), then one function computes all lanes' results from the register layouts of the PTX ISA ("Matrix
 * Fragments for mma.m16n8k16 with floating point type", "Warp-level matrix load instruction: ldmatrix"), with
 * lane = 4 * groupID + threadID_in_group (g = lane / 4, t = lane % 4) and the lower-indexed element of a register
 * pair in its low 16 bits:
 *   A [16, 16] bf16, 4 registers: reg r holds A[g + 8 (r & 1)][2t + 8 (r >> 1) + {0, 1}]
 *   B [16,  8] bf16, 2 registers: reg r holds B[2t + 8 r + {0, 1}][g]
 *   C, D [16, 8] f32, 4 floats:   c[e] is C[g + 8 (e >> 1)][2t + (e & 1)]
 *   ldmatrix .x4: lane l gives the address of row l % 8 of matrix l / 8 (16 bytes, 16-byte aligned); register i
 *   of lane l receives matrix i's row l / 4, elements 2 (l % 4) + {0, 1}, or with .trans its column l / 4,
 *   rows 2 (l % 4) + {0, 1} (the matrix transposed).
 *
 * Arithmetic of the emulated mma: D[i][j] = C[i][j] + sum_k A[i][k] B[k][j] in float32, C first, then k = 0..15 in
 * order, each addition rounded to nearest. A bf16 x bf16 product has at most 16 significant bits, so every product
 * is exact in float32 and the only rounding is in the 16 additions. The hardware's order (and rounding) inside one
 * mma is unspecified; the tests' tolerances (docs/kernels.md "attention_bf16") assume only a float32 accumulation
 * with at most one rounding of relative size 2^-24 per addition, which any order satisfies.
 *
 * Memory: an emulated ldmatrix reads each lane's 16-byte row when that lane arrives, not when the warp is released,
 * so a row written by a lane that has not yet run (fiber order) is read stale, as on hardware without the barrier a
 * kernel needs; the two fiber orders of the tests then catch a missing __syncthreads()/__syncwarp() before it.
 */
#ifndef SIMT_MMA_CUH
#define SIMT_MMA_CUH

#include "simt_emu.h"

namespace simt {

inline float bf16_bits_to_float(unsigned bits) { return __uint_as_float((bits & 0xffffu) << 16); }

struct MmaIo {
    const unsigned* a;   // [4] bf16 pairs
    const unsigned* b;   // [2] bf16 pairs
    float* c;            // [4] in: C, out: D
};

inline void mma_bf16_16816_warp(void* const* io) {
    float A[16][16], B[16][8], C[16][8];
    for (int lane = 0; lane < 32; lane++) {
        const MmaIo& m = *static_cast<const MmaIo*>(io[lane]);
        const int g = lane / 4, t = lane % 4;
        for (int r = 0; r < 4; r++) {
            const int row = g + 8 * (r & 1), col = 2 * t + 8 * (r >> 1);
            A[row][col] = bf16_bits_to_float(m.a[r]);
            A[row][col + 1] = bf16_bits_to_float(m.a[r] >> 16);
        }
        for (int r = 0; r < 2; r++) {
            B[2 * t + 8 * r][g] = bf16_bits_to_float(m.b[r]);
            B[2 * t + 8 * r + 1][g] = bf16_bits_to_float(m.b[r] >> 16);
        }
        for (int e = 0; e < 4; e++) C[g + 8 * (e >> 1)][2 * t + (e & 1)] = m.c[e];
    }
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 8; j++) {
            float acc = C[i][j];
            for (int k = 0; k < 16; k++) acc += A[i][k] * B[k][j];   // exact product, one rounding per addition
            C[i][j] = acc;
        }
    }
    for (int lane = 0; lane < 32; lane++) {
        const MmaIo& m = *static_cast<const MmaIo*>(io[lane]);
        const int g = lane / 4, t = lane % 4;
        for (int e = 0; e < 4; e++) m.c[e] = C[g + 8 * (e >> 1)][2 * t + (e & 1)];
    }
}

// d[4] += A (a[4]) * B (b[2]) for the calling warp (every lane calls it with its own fragments).
inline void mma_bf16_16816(float* d, const unsigned* a, const unsigned* b) {
    MmaIo io{a, b, d};
    warp_exchange(&mma_bf16_16816_warp, &io);
}

struct LdmatrixIo {
    unsigned row[4];   // the 16 bytes at this lane's address, read when the lane arrived
    unsigned* out;     // [4] this lane's registers
};

template <bool TRANS>
void ldmatrix_x4_warp(void* const* io) {
    unsigned out[32][4];
    for (int l = 0; l < 32; l++) {
        for (int i = 0; i < 4; i++) {
            if (!TRANS) {
                out[l][i] = static_cast<const LdmatrixIo*>(io[i * 8 + l / 4])->row[l % 4];
            } else {
                const int c = l / 4;   // column of matrix i, taken from rows 2 (l % 4) and 2 (l % 4) + 1
                const unsigned* r0 = static_cast<const LdmatrixIo*>(io[i * 8 + 2 * (l % 4)])->row;
                const unsigned* r1 = static_cast<const LdmatrixIo*>(io[i * 8 + 2 * (l % 4) + 1])->row;
                const unsigned lo = (r0[c / 2] >> (16 * (c % 2))) & 0xffffu;
                const unsigned hi = (r1[c / 2] >> (16 * (c % 2))) & 0xffffu;
                out[l][i] = lo | (hi << 16);
            }
        }
    }
    for (int l = 0; l < 32; l++) {
        for (int i = 0; i < 4; i++) static_cast<LdmatrixIo*>(io[l])->out[i] = out[l][i];
    }
}

// r[4] <- four 8x8 b16 matrices, this lane giving the address of row lane % 8 of matrix lane / 8.
template <bool TRANS>
void ldmatrix_x4(unsigned* r, const void* row_address) {
    LdmatrixIo io{};
    if (reinterpret_cast<std::uintptr_t>(row_address) % 16 != 0) fail("ldmatrix row address not 16-byte aligned");
    else std::memcpy(io.row, row_address, sizeof io.row);
    io.out = r;
    warp_exchange(&ldmatrix_x4_warp<TRANS>, &io);
}

}  // namespace simt

#endif
