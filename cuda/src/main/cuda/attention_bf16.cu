/*
 * attention_bf16.cu — fused attention on BF16 tensor cores (attention_bf16.h), forward and backward,
 * FlashAttention-2 style: attention.cu's algorithm and semantics with every tile product an mma.sync m16n8k16
 * (bf16 x bf16 -> f32, pn_mma.cuh) and the operands fed from shared memory by ldmatrix. Why a second kernel: on an
 * H100 the fp32 kernel's bound is 67 TFLOP/s of CUDA cores, the tensor cores' 989 (docs/kernels.md).
 *
 * Fragment layouts (PTX ISA, spelled out in simt_mma.cuh): a warp's mma multiplies A [16, 16] by B [16, 8] into
 * C [16, 8]; lane = 4 g + t holds C rows g and g + 8, columns 2t and 2t + 1. Two C tiles side by side (16 columns)
 * have exactly the register layout of one A tile, so a probability tile computed as C goes straight back into the
 * next mma as A (rounded to bf16), never through shared memory — the FA2 register trick that makes a per-row
 * online softmax possible (each lane owns 2 rows; a row's 4 lanes are a quad, reduced with __shfl_xor_sync).
 *
 * Forward (attention_bf16_forward_kernel<HD>): one block of 128 threads (4 warps) per (64 query rows, query head,
 * batch); warp w owns rows 16w .. 16w + 15. The block's Q tile goes through shared memory once into registers
 * (A fragments, HD/16 x 4 registers). K/V tiles of 64 keys stream through shared memory: S = Q K^T (K row-major is
 * B "col" directly: ldmatrix), mask, online softmax on S in registers (running max m, partial sums l, rescale of
 * the output accumulators by alpha = exp(m_old - m_new); exponent base 0 while a row has seen no visible key, as in
 * attention.cu), then O += P V with V^T fragments from ldmatrix.trans. lse = m + log l is saved per row.
 *
 * Backward (three launches, deterministic, no atomics, as attention.cu):
 *  1. attention_bf16_delta_kernel: D_i = <bf16(dout_i), out_i> into dq (scratch until step 3).
 *  2. attention_bf16_dkdv_kernel<HD>: one block per (64 keys, kv head, batch), warp w owns keys 16w .. 16w + 15;
 *     for every query head of the GQA group and query tile of BQ rows: S^T = K Q^T and dP^T = V dO^T (A from the
 *     block's K/V in shared memory, B from the Q/dO tile), P^T = exp(scale S^T - lse), dS^T = P^T o (dP^T - D), then
 *     dV += P^T dO and dK += dS^T Q with P^T, dS^T as A fragments in registers and dO, Q through ldmatrix.trans.
 *  3. attention_bf16_dq_kernel<HD>: one block per (64 query rows, head, batch), Q and dO fragments in registers;
 *     per key tile: S = Q K^T, dP = dO V^T, dS = P o (dP - D), dQ += dS K (K through ldmatrix.trans); D of its own
 *     rows computed at the start (dq, step 1's scratch, is being overwritten).
 *
 * Shared memory: rows of HD + 8 bf16 (stride 144 or 272 bytes): every row starts 16-byte aligned (ldmatrix) and the
 * 8 rows of one 8x8 matrix start 4 banks apart, so an ldmatrix phase touches 32 distinct banks. All static, under
 * 48 KiB (docs/kernels.md "attention_bf16" tabulates it). Operands are loaded element by element with zero padding
 * past the last row and past hd, so any T, Tk (tails that are not multiples of 16 or 64) and hd in 1..128 work.
 */
#include "attention_bf16.h"
#include "pn_block_reduce.cuh"
#include "pn_mma.cuh"

namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kRows = 64;    // query rows per forward / dq block, 16 per warp
constexpr int kKeys = 64;    // keys per forward K/V tile and per dkdv block, 16 per warp
constexpr int kMaxHeadDim = 128;
constexpr int kMaxGridYZ = 65535;

// Tile sizes of the kernels compiled for head-dim bucket HD (64 or 128).
template <int HD>
struct Bf16Tiles {
    static constexpr int kLd = HD + 8;                  // shared row stride in bf16 elements
    static constexpr int kBwdQueries = HD > 64 ? 16 : 64;   // query rows per dkdv tile (48 KiB static smem)
    static constexpr int kDqKeys = HD > 64 ? 32 : 64;   // keys per dq tile (registers: S and dP tiles)
};

// The problem as the launcher received it (passed by value to every kernel).
struct Problem {
    int B, H, KV, T, Tk, hd;
    long long q_bs, q_hs, kv_bs, kv_hs;   // batch/head strides of q and of k/v, in elements
    int causal, start;
    float scale;
};

// Keys [0, key_end) may be visible to query i (before the padding mask): all Tk, or j <= start + i if causal.
__device__ __forceinline__ int key_end(const Problem& p, long long i) {
    if (!p.causal) return p.Tk;
    const long long e = p.start + i + 1;
    return e < 0 ? 0 : (e > p.Tk ? p.Tk : static_cast<int>(e));
}

// dst [ROWS, HD] bf16 (row stride HD + 8) <- rows r0 .. r0 + ROWS - 1 of the row-major bf16 [n, hd] matrix src;
// zeros past row n and column hd.
template <int HD, int ROWS>
__device__ __forceinline__ void load_rows(unsigned short* dst, const unsigned short* src, int r0, int n, int hd) {
    for (int e = threadIdx.x; e < ROWS * HD; e += kThreads) {
        const int r = e / HD, d = e % HD;
        dst[r * (HD + 8) + d] = (r0 + r < n && d < hd) ? src[(long long)(r0 + r) * hd + d] : static_cast<unsigned short>(0);
    }
}

// As load_rows for a float32 source (dout), each element rounded to bf16.
template <int HD, int ROWS>
__device__ __forceinline__ void load_rows_rounded(unsigned short* dst, const float* src, int r0, int n, int hd) {
    for (int e = threadIdx.x; e < ROWS * HD; e += kThreads) {
        const int r = e / HD, d = e % HD;
        const float x = (r0 + r < n && d < hd) ? src[(long long)(r0 + r) * hd + d] : 0.0f;
        dst[r * (HD + 8) + d] = static_cast<unsigned short>(pn::bf16_rn(x));
    }
}

__device__ __forceinline__ float bf16_value(unsigned bits) { return __uint_as_float(bits << 16); }

// ldmatrix addresses of one lane (lane l gives row l % 8 of matrix l / 8), for a tile of shared rows with stride LD:
//  a_row: the 4 matrices of an A fragment [16 rows, 16 cols] at (r0, c0): rows r0 + l % 16, column c0 + 8 (l / 16)
//  b_row: B fragments of two n-tiles from a row-major [n, k] tile (rows = n) at (n0, k0): rows n0 + 8 (l / 16) + l % 8,
//         column k0 + 8 ((l / 8) % 2); registers 0-1 are n-tile n0, 2-3 n-tile n0 + 8
//  bt_row: B fragments of two n-tiles from a row-major [k, n] tile (rows = k) with .trans at (k0, n0): rows
//         k0 + 8 ((l / 8) % 2) + l % 8, column n0 + 8 (l / 16); registers 0-1 n-tile n0, 2-3 n-tile n0 + 8
template <int LD>
__device__ __forceinline__ const unsigned short* a_row(const unsigned short* s, int r0, int c0, int l) {
    return s + (r0 + l % 16) * LD + c0 + 8 * (l / 16);
}
template <int LD>
__device__ __forceinline__ const unsigned short* b_row(const unsigned short* s, int n0, int k0, int l) {
    return s + (n0 + 8 * (l / 16) + l % 8) * LD + k0 + 8 * ((l / 8) % 2);
}
template <int LD>
__device__ __forceinline__ const unsigned short* bt_row(const unsigned short* s, int k0, int n0, int l) {
    return s + (k0 + 8 * ((l / 8) % 2) + l % 8) * LD + n0 + 8 * (l / 16);
}

// The A fragment (bf16) of the 16 columns c = 16 kk .. 16 kk + 15 of a C-layout tile x[n-tile][4] (float).
template <int NT>
__device__ __forceinline__ void c_to_a(unsigned (&a)[4], const float (&x)[NT][4], int kk) {
    a[0] = pn::pack_bf16x2(x[2 * kk][0], x[2 * kk][1]);
    a[1] = pn::pack_bf16x2(x[2 * kk][2], x[2 * kk][3]);
    a[2] = pn::pack_bf16x2(x[2 * kk + 1][0], x[2 * kk + 1][1]);
    a[3] = pn::pack_bf16x2(x[2 * kk + 1][2], x[2 * kk + 1][3]);
}

template <int HD>
__global__ void __launch_bounds__(kThreads) attention_bf16_forward_kernel(const unsigned short* q,
                                                                          const unsigned short* k,
                                                                          const unsigned short* v,
                                                                          const unsigned char* key_valid, Problem p,
                                                                          float* out, float* lse) {
    constexpr int LD = Bf16Tiles<HD>::kLd;
    constexpr int KS = HD / 16;      // k-steps over the head dim
    constexpr int NT = kKeys / 8;    // score n-tiles per key tile
    constexpr int OT = HD / 8;       // output n-tiles
    __shared__ __align__(16) unsigned short k_s[kKeys * LD];   // [64, HD] key tile (first: the block's queries)
    __shared__ __align__(16) unsigned short v_s[kKeys * LD];   // [64, HD] value tile

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int b = blockIdx.z, h = blockIdx.y, i0 = blockIdx.x * kRows;
    const long long kv_off = b * p.kv_bs + (h / (p.H / p.KV)) * p.kv_hs;
    const unsigned short* kh = k + kv_off;                                             // [Tk, hd]
    const unsigned short* vh = v + kv_off;                                             // [Tk, hd]
    const unsigned char* valid = key_valid ? key_valid + (long long)b * p.Tk : nullptr;   // [Tk]
    const int rows[2] = {i0 + 16 * warp + g, i0 + 16 * warp + g + 8};                  // this lane's query rows
    int row_end[2];
    for (int r = 0; r < 2; r++) row_end[r] = rows[r] < p.T ? key_end(p, rows[r]) : 0;
    const int last = i0 + kRows < p.T ? i0 + kRows - 1 : p.T - 1;
    const int block_end = key_end(p, last);   // causal: tiles from here on are above every row's diagonal

    load_rows<HD, kRows>(k_s, q + b * p.q_bs + h * p.q_hs, i0, p.T, p.hd);
    __syncthreads();
    unsigned qf[KS][4];   // A fragments of the warp's 16 query rows
    PN_UNROLL
    for (int kk = 0; kk < KS; kk++) pn::ldmatrix_x4(qf[kk], a_row<LD>(k_s, 16 * warp, 16 * kk, lane));
    __syncthreads();      // k_s is overwritten by the first key tile

    float m[2] = {-INFINITY, -INFINITY};   // running max of each row's visible scores
    float l[2] = {0.0f, 0.0f};             // this lane's share of sum exp(s - m) per row
    float o[OT][4] = {};                   // C fragments of sum exp(s - m) v, [16, HD]
    for (int j0 = 0; j0 < block_end; j0 += kKeys) {
        load_rows<HD, kKeys>(k_s, kh, j0, p.Tk, p.hd);
        load_rows<HD, kKeys>(v_s, vh, j0, p.Tk, p.hd);
        __syncthreads();

        float s[NT][4] = {};   // S = Q K^T, [16, 64]
        PN_UNROLL
        for (int kk = 0; kk < KS; kk++) {
            PN_UNROLL
            for (int np = 0; np < NT / 2; np++) {
                unsigned kb[4];
                pn::ldmatrix_x4(kb, b_row<LD>(k_s, 16 * np, 16 * kk, lane));
                pn::mma_bf16_16816(s[2 * np], qf[kk], kb[0], kb[1]);
                pn::mma_bf16_16816(s[2 * np + 1], qf[kk], kb[2], kb[3]);
            }
        }
        float tile_max[2] = {-INFINITY, -INFINITY};
        PN_UNROLL
        for (int nt = 0; nt < NT; nt++) {
            PN_UNROLL
            for (int e = 0; e < 4; e++) {
                const int j = j0 + 8 * nt + 2 * t + (e & 1);
                const bool visible = j < row_end[e >> 1] && (!valid || valid[j]);
                s[nt][e] = visible ? p.scale * s[nt][e] : -INFINITY;
                tile_max[e >> 1] = fmaxf(tile_max[e >> 1], s[nt][e]);
            }
        }
        float base[2], alpha[2];
        for (int r = 0; r < 2; r++) {
            for (int x = 1; x < 4; x <<= 1) tile_max[r] = fmaxf(tile_max[r], __shfl_xor_sync(pn::kFullMask, tile_max[r], x));
            const float m_new = fmaxf(m[r], tile_max[r]);
            base[r] = m_new == -INFINITY ? 0.0f : m_new;   // nothing visible yet: every term is exp(-inf) = 0
            alpha[r] = __expf(m[r] - base[r]);             // rescales the old terms; 0 when m = -inf
            l[r] *= alpha[r];
            m[r] = m_new;
        }
        PN_UNROLL
        for (int ot = 0; ot < OT; ot++) {
            PN_UNROLL
            for (int e = 0; e < 4; e++) o[ot][e] *= alpha[e >> 1];
        }
        PN_UNROLL
        for (int nt = 0; nt < NT; nt++) {
            PN_UNROLL
            for (int e = 0; e < 4; e++) {
                s[nt][e] = __expf(s[nt][e] - base[e >> 1]);
                l[e >> 1] += s[nt][e];
            }
        }
        PN_UNROLL
        for (int kk = 0; kk < kKeys / 16; kk++) {   // O += P V, 16 keys per k-step
            unsigned pa[4];
            c_to_a<NT>(pa, s, kk);
            PN_UNROLL
            for (int dp = 0; dp < HD / 16; dp++) {
                unsigned vb[4];
                pn::ldmatrix_x4_trans(vb, bt_row<LD>(v_s, 16 * kk, 16 * dp, lane));
                pn::mma_bf16_16816(o[2 * dp], pa, vb[0], vb[1]);
                pn::mma_bf16_16816(o[2 * dp + 1], pa, vb[2], vb[3]);
            }
        }
        __syncthreads();   // k_s and v_s are overwritten by the next tile
    }
    for (int r = 0; r < 2; r++) {
        for (int x = 1; x < 4; x <<= 1) l[r] += __shfl_xor_sync(pn::kFullMask, l[r], x);
        if (rows[r] >= p.T) continue;
        const long long row = ((long long)b * p.H + h) * p.T + rows[r];   // row of out and lse
        const float inv = l[r] > 0.0f ? 1.0f / l[r] : 0.0f;
        PN_UNROLL
        for (int ot = 0; ot < OT; ot++) {
            for (int e = 0; e < 2; e++) {
                const int c = 8 * ot + 2 * t + e;
                if (c < p.hd) out[row * p.hd + c] = o[ot][2 * r + e] * inv;
            }
        }
        if (t == 0) lse[row] = l[r] > 0.0f ? m[r] + logf(l[r]) : -INFINITY;
    }
}

// delta [rows] = rowwise <bf16(dout), out> of [rows, hd] matrices; one warp per row.
__global__ void __launch_bounds__(kThreads) attention_bf16_delta_kernel(const float* out, const float* dout,
                                                                        long long rows, int hd, float* delta) {
    const long long r = (long long)blockIdx.x * kWarps + threadIdx.x / 32;
    if (r >= rows) return;   // the whole warp: no lane of the collective below exits
    const int lane = threadIdx.x % 32;
    float sum = 0.0f;
    for (int c = lane; c < hd; c += 32) sum += bf16_value(pn::bf16_rn(dout[r * hd + c])) * out[r * hd + c];
    sum = pn::warp_sum(sum);
    if (lane == 0) delta[r] = sum;
}

template <int HD>
__global__ void __launch_bounds__(kThreads) attention_bf16_dkdv_kernel(const unsigned short* q,
                                                                       const unsigned short* k,
                                                                       const unsigned short* v,
                                                                       const unsigned char* key_valid,
                                                                       const float* lse, const float* dout,
                                                                       const float* delta, Problem p, float* dk,
                                                                       float* dv) {
    constexpr int LD = Bf16Tiles<HD>::kLd;
    constexpr int BQ = Bf16Tiles<HD>::kBwdQueries;
    constexpr int KS = HD / 16, QT = BQ / 8, OT = HD / 8;
    __shared__ __align__(16) unsigned short k_s[kKeys * LD];   // [64, HD] the block's keys
    __shared__ __align__(16) unsigned short v_s[kKeys * LD];   // [64, HD] the block's values
    __shared__ __align__(16) unsigned short q_s[BQ * LD];      // [BQ, HD] current query tile
    __shared__ __align__(16) unsigned short do_s[BQ * LD];     // [BQ, HD] current dout tile, rounded to bf16
    __shared__ float lse_s[BQ], delta_s[BQ];

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int b = blockIdx.z, kvh = blockIdx.y, j0 = blockIdx.x * kKeys;
    const int group = p.H / p.KV;
    const long long kv_off = b * p.kv_bs + kvh * p.kv_hs;
    const int keys[2] = {j0 + 16 * warp + g, j0 + 16 * warp + g + 8};   // this lane's key rows
    bool key_ok[2];
    for (int r = 0; r < 2; r++) {
        key_ok[r] = keys[r] < p.Tk && (!key_valid || key_valid[(long long)b * p.Tk + keys[r]]);
    }
    // causal: query i sees key j only if i >= j - start, so queries before j0 - start see nothing of this block
    const long long first = p.causal ? (long long)j0 - p.start : 0;
    const int i_first = first <= 0 ? 0 : (first >= p.T ? p.T : static_cast<int>(first));

    load_rows<HD, kKeys>(k_s, k + kv_off, j0, p.Tk, p.hd);
    load_rows<HD, kKeys>(v_s, v + kv_off, j0, p.Tk, p.hd);
    float dk_acc[OT][4] = {}, dv_acc[OT][4] = {};   // C fragments [16 keys, HD]
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        const unsigned short* qh = q + b * p.q_bs + h * p.q_hs;   // [T, hd]
        const long long row0 = ((long long)b * p.H + h) * p.T;    // first row of head h in dout, lse, delta
        for (int i0 = i_first; i0 < p.T; i0 += BQ) {
            load_rows<HD, BQ>(q_s, qh, i0, p.T, p.hd);
            load_rows_rounded<HD, BQ>(do_s, dout + row0 * p.hd, i0, p.T, p.hd);
            if (threadIdx.x < BQ) {
                const bool in = i0 + static_cast<int>(threadIdx.x) < p.T;
                lse_s[threadIdx.x] = in ? lse[row0 + i0 + threadIdx.x] : -INFINITY;
                delta_s[threadIdx.x] = in ? delta[row0 + i0 + threadIdx.x] : 0.0f;
            }
            __syncthreads();

            float st[QT][4] = {}, dpt[QT][4] = {};   // S^T = K Q^T and dP^T = V dO^T, [16 keys, BQ]
            PN_UNROLL
            for (int kk = 0; kk < KS; kk++) {
                unsigned ka[4], va[4];
                pn::ldmatrix_x4(ka, a_row<LD>(k_s, 16 * warp, 16 * kk, lane));
                pn::ldmatrix_x4(va, a_row<LD>(v_s, 16 * warp, 16 * kk, lane));
                PN_UNROLL
                for (int np = 0; np < QT / 2; np++) {
                    unsigned qb[4], ob[4];
                    pn::ldmatrix_x4(qb, b_row<LD>(q_s, 16 * np, 16 * kk, lane));
                    pn::ldmatrix_x4(ob, b_row<LD>(do_s, 16 * np, 16 * kk, lane));
                    pn::mma_bf16_16816(st[2 * np], ka, qb[0], qb[1]);
                    pn::mma_bf16_16816(st[2 * np + 1], ka, qb[2], qb[3]);
                    pn::mma_bf16_16816(dpt[2 * np], va, ob[0], ob[1]);
                    pn::mma_bf16_16816(dpt[2 * np + 1], va, ob[2], ob[3]);
                }
            }
            PN_UNROLL
            for (int nt = 0; nt < QT; nt++) {
                PN_UNROLL
                for (int e = 0; e < 4; e++) {
                    const int qi = 8 * nt + 2 * t + (e & 1), i = i0 + qi, r = e >> 1;
                    const float row_lse = lse_s[qi];
                    const bool visible = key_ok[r] && i < p.T && (!p.causal || keys[r] <= (long long)p.start + i)
                            && row_lse != -INFINITY;
                    const float pr = visible ? __expf(p.scale * st[nt][e] - row_lse) : 0.0f;
                    st[nt][e] = pr;                                   // P^T
                    dpt[nt][e] = pr * (dpt[nt][e] - delta_s[qi]);     // dS^T
                }
            }
            PN_UNROLL
            for (int kq = 0; kq < BQ / 16; kq++) {   // dV += P^T dO, dK += dS^T Q, 16 queries per k-step
                unsigned pa[4], dsa[4];
                c_to_a<QT>(pa, st, kq);
                c_to_a<QT>(dsa, dpt, kq);
                PN_UNROLL
                for (int dp = 0; dp < HD / 16; dp++) {
                    unsigned ob[4], qb[4];
                    pn::ldmatrix_x4_trans(ob, bt_row<LD>(do_s, 16 * kq, 16 * dp, lane));
                    pn::ldmatrix_x4_trans(qb, bt_row<LD>(q_s, 16 * kq, 16 * dp, lane));
                    pn::mma_bf16_16816(dv_acc[2 * dp], pa, ob[0], ob[1]);
                    pn::mma_bf16_16816(dv_acc[2 * dp + 1], pa, ob[2], ob[3]);
                    pn::mma_bf16_16816(dk_acc[2 * dp], dsa, qb[0], qb[1]);
                    pn::mma_bf16_16816(dk_acc[2 * dp + 1], dsa, qb[2], qb[3]);
                }
            }
            __syncthreads();   // q_s, do_s, lse_s and delta_s are overwritten next
        }
    }
    for (int r = 0; r < 2; r++) {
        if (keys[r] >= p.Tk) continue;
        const long long row = ((long long)b * p.KV + kvh) * p.Tk + keys[r];   // row of dk and dv
        PN_UNROLL
        for (int ot = 0; ot < OT; ot++) {
            for (int e = 0; e < 2; e++) {
                const int c = 8 * ot + 2 * t + e;
                if (c < p.hd) {
                    dk[row * p.hd + c] = p.scale * dk_acc[ot][2 * r + e];
                    dv[row * p.hd + c] = dv_acc[ot][2 * r + e];
                }
            }
        }
    }
}

template <int HD>
__global__ void __launch_bounds__(kThreads) attention_bf16_dq_kernel(const unsigned short* q,
                                                                     const unsigned short* k,
                                                                     const unsigned short* v,
                                                                     const unsigned char* key_valid,
                                                                     const float* out, const float* lse,
                                                                     const float* dout, Problem p, float* dq) {
    constexpr int LD = Bf16Tiles<HD>::kLd;
    constexpr int BK = Bf16Tiles<HD>::kDqKeys;
    constexpr int KS = HD / 16, NT = BK / 8, OT = HD / 8;
    __shared__ __align__(16) unsigned short k_s[kRows * LD];   // [BK, HD] key tile (first: the block's queries)
    __shared__ __align__(16) unsigned short v_s[kRows * LD];   // [BK, HD] value tile (first: the block's dout)
    __shared__ float delta_s[kRows];

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, t = lane % 4;
    const int b = blockIdx.z, h = blockIdx.y, i0 = blockIdx.x * kRows;
    const long long row0 = ((long long)b * p.H + h) * p.T;   // first row of head h in out, dout, lse, dq
    const long long kv_off = b * p.kv_bs + (h / (p.H / p.KV)) * p.kv_hs;
    const unsigned char* valid = key_valid ? key_valid + (long long)b * p.Tk : nullptr;   // [Tk]
    const int rows[2] = {i0 + 16 * warp + g, i0 + 16 * warp + g + 8};
    float row_lse[2];
    int row_end[2];
    for (int r = 0; r < 2; r++) {
        row_lse[r] = rows[r] < p.T ? lse[row0 + rows[r]] : -INFINITY;
        row_end[r] = row_lse[r] != -INFINITY ? key_end(p, rows[r]) : 0;   // also 0 for padding rows >= T
    }
    const int last = i0 + kRows < p.T ? i0 + kRows - 1 : p.T - 1;
    const int block_end = key_end(p, last);

    load_rows<HD, kRows>(k_s, q + b * p.q_bs + h * p.q_hs, i0, p.T, p.hd);
    load_rows_rounded<HD, kRows>(v_s, dout + row0 * p.hd, i0, p.T, p.hd);
    if (threadIdx.x < kRows) {   // D_i = <bf16(dout_i), out_i> of the block's rows
        const int i = i0 + threadIdx.x;
        float sum = 0.0f;
        if (i < p.T) {
            for (int c = 0; c < p.hd; c++) sum += bf16_value(pn::bf16_rn(dout[(row0 + i) * p.hd + c])) * out[(row0 + i) * p.hd + c];
        }
        delta_s[threadIdx.x] = sum;
    }
    __syncthreads();
    unsigned qf[KS][4], of[KS][4];   // A fragments of the warp's 16 rows of Q and dO
    PN_UNROLL
    for (int kk = 0; kk < KS; kk++) {
        pn::ldmatrix_x4(qf[kk], a_row<LD>(k_s, 16 * warp, 16 * kk, lane));
        pn::ldmatrix_x4(of[kk], a_row<LD>(v_s, 16 * warp, 16 * kk, lane));
    }
    const float row_delta[2] = {delta_s[16 * warp + g], delta_s[16 * warp + g + 8]};
    __syncthreads();   // k_s and v_s are overwritten by the first key tile

    float acc[OT][4] = {};   // C fragments of dS K, [16, HD]
    for (int j0 = 0; j0 < block_end; j0 += BK) {
        load_rows<HD, BK>(k_s, k + kv_off, j0, p.Tk, p.hd);
        load_rows<HD, BK>(v_s, v + kv_off, j0, p.Tk, p.hd);
        __syncthreads();

        float s[NT][4] = {}, dp[NT][4] = {};   // S = Q K^T, dP = dO V^T, [16, BK]
        PN_UNROLL
        for (int kk = 0; kk < KS; kk++) {
            PN_UNROLL
            for (int np = 0; np < NT / 2; np++) {
                unsigned kb[4], vb[4];
                pn::ldmatrix_x4(kb, b_row<LD>(k_s, 16 * np, 16 * kk, lane));
                pn::ldmatrix_x4(vb, b_row<LD>(v_s, 16 * np, 16 * kk, lane));
                pn::mma_bf16_16816(s[2 * np], qf[kk], kb[0], kb[1]);
                pn::mma_bf16_16816(s[2 * np + 1], qf[kk], kb[2], kb[3]);
                pn::mma_bf16_16816(dp[2 * np], of[kk], vb[0], vb[1]);
                pn::mma_bf16_16816(dp[2 * np + 1], of[kk], vb[2], vb[3]);
            }
        }
        PN_UNROLL
        for (int nt = 0; nt < NT; nt++) {
            PN_UNROLL
            for (int e = 0; e < 4; e++) {
                const int j = j0 + 8 * nt + 2 * t + (e & 1), r = e >> 1;
                const float pr = (j < row_end[r] && (!valid || valid[j])) ? __expf(p.scale * s[nt][e] - row_lse[r]) : 0.0f;
                dp[nt][e] = pr * (dp[nt][e] - row_delta[r]);   // dS
            }
        }
        PN_UNROLL
        for (int kk = 0; kk < BK / 16; kk++) {   // dQ += dS K, 16 keys per k-step
            unsigned dsa[4];
            c_to_a<NT>(dsa, dp, kk);
            PN_UNROLL
            for (int dc = 0; dc < HD / 16; dc++) {
                unsigned kb[4];
                pn::ldmatrix_x4_trans(kb, bt_row<LD>(k_s, 16 * kk, 16 * dc, lane));
                pn::mma_bf16_16816(acc[2 * dc], dsa, kb[0], kb[1]);
                pn::mma_bf16_16816(acc[2 * dc + 1], dsa, kb[2], kb[3]);
            }
        }
        __syncthreads();   // k_s and v_s are overwritten by the next tile
    }
    for (int r = 0; r < 2; r++) {
        if (rows[r] >= p.T) continue;
        PN_UNROLL
        for (int ot = 0; ot < OT; ot++) {
            for (int e = 0; e < 2; e++) {
                const int c = 8 * ot + 2 * t + e;
                if (c < p.hd) dq[(row0 + rows[r]) * p.hd + c] = p.scale * acc[ot][2 * r + e];
            }
        }
    }
}

bool valid_problem(const Problem& p) {
    return p.B >= 0 && p.H >= 0 && p.KV >= 1 && p.T >= 0 && p.Tk >= 0 && p.hd >= 1 && p.hd <= kMaxHeadDim
            && p.H % p.KV == 0 && p.B <= kMaxGridYZ && p.H <= kMaxGridYZ && p.KV <= kMaxGridYZ
            && p.q_bs >= 0 && p.q_hs >= 0 && p.kv_bs >= 0 && p.kv_hs >= 0;
}

template <int HD>
void launch_forward(const unsigned short* q, const unsigned short* k, const unsigned short* v,
                    const unsigned char* key_valid, const Problem& p, float* out, float* lse, cudaStream_t stream) {
    const dim3 grid((p.T + kRows - 1) / kRows, p.H, p.B);
    PN_LAUNCH(attention_bf16_forward_kernel<HD>, grid, dim3(kThreads), 0, stream)(q, k, v, key_valid, p, out, lse);
}

// The three backward launches; returns the first launch error.
template <int HD>
cudaError_t launch_backward(const unsigned short* q, const unsigned short* k, const unsigned short* v,
                            const unsigned char* key_valid, const float* out, const float* lse, const float* dout,
                            const Problem& p, float* dq, float* dk, float* dv, cudaStream_t stream) {
    const long long rows = (long long)p.B * p.H * p.T;
    float* delta = dq;   // scratch for D [B, H, T] until attention_bf16_dq_kernel writes dq
    if (rows > 0) {
        PN_LAUNCH(attention_bf16_delta_kernel, dim3(static_cast<unsigned>((rows + kWarps - 1) / kWarps)),
                  dim3(kThreads), 0, stream)(out, dout, rows, p.hd, delta);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
    }
    if ((long long)p.B * p.KV * p.Tk > 0) {
        const dim3 grid((p.Tk + kKeys - 1) / kKeys, p.KV, p.B);
        PN_LAUNCH(attention_bf16_dkdv_kernel<HD>, grid, dim3(kThreads), 0, stream)(q, k, v, key_valid, lse, dout,
                                                                                  delta, p, dk, dv);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
    }
    if (rows == 0) return cudaSuccess;
    const dim3 grid((p.T + kRows - 1) / kRows, p.H, p.B);
    PN_LAUNCH(attention_bf16_dq_kernel<HD>, grid, dim3(kThreads), 0, stream)(q, k, v, key_valid, out, lse, dout, p,
                                                                            dq);
    return cudaGetLastError();
}

}  // namespace

extern "C" int pn_attention_bf16_forward(const void* q, const void* k, const void* v, const unsigned char* key_valid,
                                         int B, int H, int KV, int T, int Tk, int hd, long long q_batch_stride,
                                         long long q_head_stride, long long kv_batch_stride, long long kv_head_stride,
                                         int causal, int start, float scale, float* out, float* lse, void* stream) {
    const Problem p{B, H, KV, T, Tk, hd, q_batch_stride, q_head_stride, kv_batch_stride, kv_head_stride, causal,
                    start, scale};
    if (!valid_problem(p)) return cudaErrorInvalidValue;
    if ((long long)B * H * T == 0) return cudaSuccess;
    const auto* qb = static_cast<const unsigned short*>(q);
    const auto* kb = static_cast<const unsigned short*>(k);
    const auto* vb = static_cast<const unsigned short*>(v);
    const cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (hd <= 64) {
        launch_forward<64>(qb, kb, vb, key_valid, p, out, lse, s);
    } else {
        launch_forward<128>(qb, kb, vb, key_valid, p, out, lse, s);
    }
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_attention_bf16_backward(const void* q, const void* k, const void* v,
                                          const unsigned char* key_valid, const float* out, const float* lse,
                                          const float* dout, int B, int H, int KV, int T, int Tk, int hd,
                                          long long q_batch_stride, long long q_head_stride,
                                          long long kv_batch_stride, long long kv_head_stride, int causal, int start,
                                          float scale, float* dq, float* dk, float* dv, void* stream) {
    const Problem p{B, H, KV, T, Tk, hd, q_batch_stride, q_head_stride, kv_batch_stride, kv_head_stride, causal,
                    start, scale};
    if (!valid_problem(p) || ((long long)B * H * T + kWarps - 1) / kWarps > 0x7fffffffLL) return cudaErrorInvalidValue;
    const auto* qb = static_cast<const unsigned short*>(q);
    const auto* kb = static_cast<const unsigned short*>(k);
    const auto* vb = static_cast<const unsigned short*>(v);
    const cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (hd <= 64) return static_cast<int>(launch_backward<64>(qb, kb, vb, key_valid, out, lse, dout, p, dq, dk, dv, s));
    return static_cast<int>(launch_backward<128>(qb, kb, vb, key_valid, out, lse, dout, p, dq, dk, dv, s));
}
