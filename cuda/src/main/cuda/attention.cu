/*
 * attention.cu — fused scaled dot-product attention, forward and backward (attention.h), FlashAttention-2 style
 * on fp32 CUDA cores: the [T, Tk] score matrix never exists in global memory, extra memory is O(T) (lse, D).
 *
 * Forward (attention_forward_kernel): one block of 128 threads per (query tile of 32 rows, query head, batch).
 * The query tile stays in shared memory while K/V tiles of BC keys (32, or 16 for hd > 64 to stay under 48 KiB)
 * stream through it. Four consecutive threads (a quad, same warp) own one query row: thread `lane` computes the
 * scores of keys lane, lane + 4, ... of the tile and the output columns lane, lane + 4, ... (interleaved so the
 * shared-memory reads of a warp are conflict-free). Online softmax per row: running max m (quad max by
 * __shfl_xor_sync each tile), each thread's partial sum l and its output columns are rescaled by
 * alpha = exp(m_old - m_new), then P (through a warp-private shared tile, __syncwarp) times V is accumulated;
 * the quad sums l once at the end. The exponent base is 0 while a row has seen no visible key, so -inf - -inf
 * never happens: masked scores give exp(-inf) = 0, a row without any visible key ends with l = 0 -> out 0,
 * lse -inf. Causal: key tiles entirely above the diagonal of the tile's last row are not visited.
 *
 * Backward (three launches, deterministic, no atomics):
 *  1. attention_delta_kernel: D_i = <dout_i, out_i>, one warp per row, written into dq (used as scratch: it has
 *     B*H*T*hd >= B*H*T floats and is only written for real in step 3, which is stream-ordered after step 2).
 *  2. attention_dkdv_kernel: one block per (key tile, kv head, batch); K/V of the tile stay in shared memory,
 *     dK/dV accumulate in registers while the block walks the query tiles of every query head of the GQA group
 *     (so the group sum needs no atomics), skipping query tiles that are entirely before the causal diagonal.
 *     TPR threads own a key row; each computes S and dP = dO V^T for its (query, key) pairs, P = exp(S - lse),
 *     dS = P (dP - D), hands P^T and dS^T to the threads of its key row through warp-private shared tiles, and
 *     accumulates dV += P^T dO, dK += dS^T Q for its columns.
 *  3. attention_dq_kernel: one block per (query tile, query head, batch), structured like the forward: recomputes
 *     P and dS per key tile and accumulates dQ += dS K in registers; it computes its own rows' D (dq is being
 *     overwritten, so it cannot read step 1's scratch).
 * A separate dQ pass instead of FA2's atomicAdd into dq: results are bitwise reproducible (the project's
 * training runs are compared across runs), no zero-fill of dq and no contention on dq rows, at the cost of
 * recomputing QK^T and dO V^T once more (7 instead of 5 tile products per (query, key) pair).
 *
 * Head dims are bucketed: kernels are templated on HD = 32, 64, 128 (shared tiles and register arrays are
 * sized by HD, inputs are zero-padded from hd to HD on load), dispatched at run time. Shared rows have stride
 * HD + 1 (odd) so reading one column of several rows hits distinct banks. Tile sizes keep the static shared
 * memory of every kernel under 48 KiB (attention.h, docs/kernels.md). Reference: Attention.attend on the
 * reference backend and its autograd in double (native/ AttentionTest).
 */
#include "attention.h"
#include "pn_block_reduce.cuh"

namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kMaxHeadDim = 128;
constexpr int kMaxGridYZ = 65535;

// Tile sizes of the kernels compiled for head-dim bucket HD (the padded head dim: 32, 64 or 128).
template <int HD>
struct Tiles {
    static constexpr int kLd = HD + 1;                   // shared row stride (odd: conflict-free column reads)
    static constexpr int kFwdRows = 32;                  // query rows per forward block
    static constexpr int kFwdKeys = HD > 64 ? 16 : 32;   // keys per K/V tile in the forward
    static constexpr int kBwdTile = HD > 64 ? 16 : 32;   // query rows and keys per tile in the backward
};

// The problem as the launcher received it (passed by value to every kernel).
struct Problem {
    int B, H, KV, T, Tk, hd;
    long long q_bs, q_hs, kv_bs, kv_hs;   // batch/head strides of q and of k/v, in elements
    int causal, start;
    float scale;
};

// dst [ROWS, HD] (row stride HD + 1) <- rows r0 .. r0 + ROWS - 1 of the row-major [n, hd] matrix src; zeros past
// row n and column hd. Consecutive threads read consecutive elements (coalesced when hd == HD).
template <int HD, int ROWS>
__device__ __forceinline__ void load_rows(float* dst, const float* src, int r0, int n, int hd) {
    for (int e = threadIdx.x; e < ROWS * HD; e += kThreads) {
        const int r = e / HD, d = e % HD;
        dst[r * (HD + 1) + d] = (r0 + r < n && d < hd) ? src[(long long)(r0 + r) * hd + d] : 0.0f;
    }
}

// Keys [0, key_end) may be visible to query i (before the padding mask): all Tk, or j <= start + i if causal.
__device__ __forceinline__ int key_end(const Problem& p, long long i) {
    if (!p.causal) return p.Tk;
    const long long e = p.start + i + 1;
    return e < 0 ? 0 : (e > p.Tk ? p.Tk : static_cast<int>(e));
}

template <int HD>
__global__ void __launch_bounds__(kThreads) attention_forward_kernel(const float* q, const float* k, const float* v,
                                                                     const unsigned char* key_valid, Problem p,
                                                                     float* out, float* lse) {
    constexpr int BR = Tiles<HD>::kFwdRows, BC = Tiles<HD>::kFwdKeys, LD = Tiles<HD>::kLd;
    constexpr int TPR = kThreads / BR;   // threads per query row (4, one quad)
    constexpr int SPT = BC / TPR;        // scores per thread and tile: keys lane + TPR * c
    constexpr int OPT = HD / TPR;        // output columns per thread: lane + TPR * o
    __shared__ float q_s[BR * LD];       // [BR, HD] the block's queries
    __shared__ float k_s[BC * LD];       // [BC, HD] current key tile
    __shared__ float v_s[BC * LD];       // [BC, HD] current value tile
    __shared__ float p_s[BR * (BC + 1)]; // [BR, BC] probabilities of the tile; a row is read only by its quad

    const int tid = threadIdx.x, row = tid / TPR, lane = tid % TPR;
    const int b = blockIdx.z, h = blockIdx.y, i0 = blockIdx.x * BR, i = i0 + row;
    const long long kv_off = b * p.kv_bs + (h / (p.H / p.KV)) * p.kv_hs;
    const float* kh = k + kv_off;                                              // [Tk, hd]
    const float* vh = v + kv_off;                                              // [Tk, hd]
    const unsigned char* valid = key_valid ? key_valid + (long long)b * p.Tk : nullptr;   // [Tk]
    const int row_end = i < p.T ? key_end(p, i) : 0;
    const int last = i0 + BR < p.T ? i0 + BR - 1 : p.T - 1;
    const int block_end = key_end(p, last);   // causal: tiles from here on are above every row's diagonal

    load_rows<HD, BR>(q_s, q + b * p.q_bs + h * p.q_hs, i0, p.T, p.hd);
    float m = -INFINITY;   // running max of the row's visible scores
    float l = 0.0f;        // this thread's share of sum exp(s - m)
    float acc[OPT] = {};   // this thread's columns of sum exp(s - m) v
    for (int j0 = 0; j0 < block_end; j0 += BC) {
        load_rows<HD, BC>(k_s, kh, j0, p.Tk, p.hd);
        load_rows<HD, BC>(v_s, vh, j0, p.Tk, p.hd);
        __syncthreads();

        float s[SPT] = {};
        for (int d = 0; d < HD; d++) {
            const float qd = q_s[row * LD + d];
            for (int c = 0; c < SPT; c++) s[c] += qd * k_s[(lane + TPR * c) * LD + d];
        }
        float tile_max = -INFINITY;
        for (int c = 0; c < SPT; c++) {
            const int j = j0 + lane + TPR * c;
            s[c] = (j < row_end && (!valid || valid[j])) ? p.scale * s[c] : -INFINITY;
            tile_max = fmaxf(tile_max, s[c]);
        }
        for (int o = 1; o < TPR; o <<= 1) tile_max = fmaxf(tile_max, __shfl_xor_sync(pn::kFullMask, tile_max, o));
        const float m_new = fmaxf(m, tile_max);
        const float base = m_new == -INFINITY ? 0.0f : m_new;   // nothing visible yet: all terms are exp(-inf) = 0
        const float alpha = __expf(m - base);                     // rescales the old terms; 0 when m = -inf
        l *= alpha;
        for (int o = 0; o < OPT; o++) acc[o] *= alpha;
        for (int c = 0; c < SPT; c++) {
            const float e = __expf(s[c] - base);
            l += e;
            p_s[row * (BC + 1) + lane + TPR * c] = e;
        }
        m = m_new;
        __syncwarp();

        for (int jj = 0; jj < BC; jj++) {
            const float e = p_s[row * (BC + 1) + jj];
            for (int o = 0; o < OPT; o++) acc[o] += e * v_s[jj * LD + lane + TPR * o];
        }
        __syncthreads();   // k_s, v_s and p_s are overwritten by the next tile
    }
    for (int o = 1; o < TPR; o <<= 1) l += __shfl_xor_sync(pn::kFullMask, l, o);
    if (i < p.T) {
        const long long r = ((long long)b * p.H + h) * p.T + i;   // row of out and lse
        const float inv = l > 0.0f ? 1.0f / l : 0.0f;
        for (int o = 0; o < OPT; o++) {
            const int c = lane + TPR * o;
            if (c < p.hd) out[r * p.hd + c] = acc[o] * inv;
        }
        if (lane == 0) lse[r] = l > 0.0f ? m + logf(l) : -INFINITY;
    }
}

// delta [rows] = rowwise <dout, out> of [rows, hd] matrices; one warp per row.
__global__ void __launch_bounds__(kThreads) attention_delta_kernel(const float* out, const float* dout, long long rows,
                                                                   int hd, float* delta) {
    const long long r = (long long)blockIdx.x * kWarps + threadIdx.x / 32;
    if (r >= rows) return;   // the whole warp: no lane of a collective below exits
    const int lane = threadIdx.x % 32;
    float sum = 0.0f;
    for (int c = lane; c < hd; c += 32) sum += dout[r * hd + c] * out[r * hd + c];
    sum = pn::warp_sum(sum);
    if (lane == 0) delta[r] = sum;
}

template <int HD>
__global__ void __launch_bounds__(kThreads) attention_dkdv_kernel(const float* q, const float* k, const float* v,
                                                                  const unsigned char* key_valid, const float* lse,
                                                                  const float* dout, const float* delta, Problem p,
                                                                  float* dk, float* dv) {
    constexpr int BT = Tiles<HD>::kBwdTile, LD = Tiles<HD>::kLd;
    constexpr int TPR = kThreads / BT;   // threads per key row
    constexpr int PPT = BT / TPR;        // (query, key) pairs per thread and tile: queries lane + TPR * c
    constexpr int OPT = HD / TPR;        // dK/dV columns per thread: lane + TPR * o
    __shared__ float k_s[BT * LD];       // [BT, HD] the block's keys
    __shared__ float v_s[BT * LD];       // [BT, HD] the block's values
    __shared__ float q_s[BT * LD];       // [BT, HD] current query tile
    __shared__ float do_s[BT * LD];      // [BT, HD] current dout tile
    __shared__ float pt_s[BT * (BT + 1)];  // [key, query] P^T of the tile; a key row is read only by its threads
    __shared__ float dst_s[BT * (BT + 1)]; // [key, query] dS^T of the tile
    __shared__ float lse_s[BT], delta_s[BT];

    const int tid = threadIdx.x, key = tid / TPR, lane = tid % TPR;
    const int b = blockIdx.z, kvh = blockIdx.y, j0 = blockIdx.x * BT, j = j0 + key;
    const int group = p.H / p.KV;
    const long long kv_off = b * p.kv_bs + kvh * p.kv_hs;
    const bool key_ok = j < p.Tk && (!key_valid || key_valid[(long long)b * p.Tk + j]);
    // causal: query i sees key j only if i >= j - start, so queries before j0 - start see nothing of this tile
    const long long first = p.causal ? (long long)j0 - p.start : 0;
    const int i_first = first <= 0 ? 0 : (first >= p.T ? p.T : static_cast<int>(first));

    load_rows<HD, BT>(k_s, k + kv_off, j0, p.Tk, p.hd);
    load_rows<HD, BT>(v_s, v + kv_off, j0, p.Tk, p.hd);
    float dk_acc[OPT] = {}, dv_acc[OPT] = {};
    for (int h = kvh * group; h < (kvh + 1) * group; h++) {
        const float* qh = q + b * p.q_bs + h * p.q_hs;             // [T, hd]
        const long long row0 = ((long long)b * p.H + h) * p.T;     // first row of head h in dout, lse, delta
        for (int i0 = i_first; i0 < p.T; i0 += BT) {
            load_rows<HD, BT>(q_s, qh, i0, p.T, p.hd);
            load_rows<HD, BT>(do_s, dout + row0 * p.hd, i0, p.T, p.hd);
            if (tid < BT) {
                const bool in = i0 + tid < p.T;
                lse_s[tid] = in ? lse[row0 + i0 + tid] : -INFINITY;
                delta_s[tid] = in ? delta[row0 + i0 + tid] : 0.0f;
            }
            __syncthreads();

            float s[PPT] = {}, dp[PPT] = {};
            for (int d = 0; d < HD; d++) {
                const float kd = k_s[key * LD + d], vd = v_s[key * LD + d];
                for (int c = 0; c < PPT; c++) {
                    s[c] += q_s[(lane + TPR * c) * LD + d] * kd;
                    dp[c] += do_s[(lane + TPR * c) * LD + d] * vd;
                }
            }
            for (int c = 0; c < PPT; c++) {
                const int qi = lane + TPR * c, i = i0 + qi;
                const float row_lse = lse_s[qi];
                const bool visible = key_ok && i < p.T && (!p.causal || j <= (long long)p.start + i)
                        && row_lse != -INFINITY;
                const float pr = visible ? __expf(p.scale * s[c] - row_lse) : 0.0f;
                pt_s[key * (BT + 1) + qi] = pr;
                dst_s[key * (BT + 1) + qi] = pr * (dp[c] - delta_s[qi]);
            }
            __syncwarp();

            for (int qi = 0; qi < BT; qi++) {
                const float pr = pt_s[key * (BT + 1) + qi], ds = dst_s[key * (BT + 1) + qi];
                for (int o = 0; o < OPT; o++) {
                    dv_acc[o] += pr * do_s[qi * LD + lane + TPR * o];
                    dk_acc[o] += ds * q_s[qi * LD + lane + TPR * o];
                }
            }
            __syncthreads();   // q_s, do_s, lse_s, delta_s and the P^T/dS^T tiles are overwritten next
        }
    }
    if (j < p.Tk) {
        const long long r = ((long long)b * p.KV + kvh) * p.Tk + j;   // row of dk and dv
        for (int o = 0; o < OPT; o++) {
            const int c = lane + TPR * o;
            if (c < p.hd) {
                dk[r * p.hd + c] = p.scale * dk_acc[o];
                dv[r * p.hd + c] = dv_acc[o];
            }
        }
    }
}

template <int HD>
__global__ void __launch_bounds__(kThreads) attention_dq_kernel(const float* q, const float* k, const float* v,
                                                                const unsigned char* key_valid, const float* out,
                                                                const float* lse, const float* dout, Problem p,
                                                                float* dq) {
    constexpr int BT = Tiles<HD>::kBwdTile, LD = Tiles<HD>::kLd;
    constexpr int TPR = kThreads / BT;   // threads per query row
    constexpr int SPT = BT / TPR;        // (query, key) pairs per thread and tile: keys lane + TPR * c
    constexpr int OPT = HD / TPR;        // dQ columns per thread: lane + TPR * o
    __shared__ float q_s[BT * LD];       // [BT, HD] the block's queries
    __shared__ float do_s[BT * LD];      // [BT, HD] the block's dout rows
    __shared__ float k_s[BT * LD];       // [BT, HD] current key tile
    __shared__ float v_s[BT * LD];       // [BT, HD] current value tile
    __shared__ float ds_s[BT * (BT + 1)];  // [query, key] dS of the tile; a row is read only by its threads

    const int tid = threadIdx.x, row = tid / TPR, lane = tid % TPR;
    const int b = blockIdx.z, h = blockIdx.y, i0 = blockIdx.x * BT, i = i0 + row;
    const long long row0 = ((long long)b * p.H + h) * p.T;   // first row of head h in out, dout, lse, dq
    const long long kv_off = b * p.kv_bs + (h / (p.H / p.KV)) * p.kv_hs;
    const unsigned char* valid = key_valid ? key_valid + (long long)b * p.Tk : nullptr;   // [Tk]

    load_rows<HD, BT>(q_s, q + b * p.q_bs + h * p.q_hs, i0, p.T, p.hd);
    load_rows<HD, BT>(do_s, dout + row0 * p.hd, i0, p.T, p.hd);
    float delta = 0.0f;   // D_i = <dout_i, out_i>: this thread's columns, then summed over the row's threads
    if (i < p.T) {
        for (int c = lane; c < p.hd; c += TPR) delta += dout[(row0 + i) * p.hd + c] * out[(row0 + i) * p.hd + c];
    }
    for (int o = 1; o < TPR; o <<= 1) delta += __shfl_xor_sync(pn::kFullMask, delta, o);
    const float row_lse = i < p.T ? lse[row0 + i] : -INFINITY;
    const int row_end = row_lse != -INFINITY ? key_end(p, i) : 0;   // also 0 for padding rows i >= T
    const int last = i0 + BT < p.T ? i0 + BT - 1 : p.T - 1;
    const int block_end = key_end(p, last);

    float acc[OPT] = {};
    for (int j0 = 0; j0 < block_end; j0 += BT) {
        load_rows<HD, BT>(k_s, k + kv_off, j0, p.Tk, p.hd);
        load_rows<HD, BT>(v_s, v + kv_off, j0, p.Tk, p.hd);
        __syncthreads();

        float s[SPT] = {}, dp[SPT] = {};
        for (int d = 0; d < HD; d++) {
            const float qd = q_s[row * LD + d], dod = do_s[row * LD + d];
            for (int c = 0; c < SPT; c++) {
                s[c] += qd * k_s[(lane + TPR * c) * LD + d];
                dp[c] += dod * v_s[(lane + TPR * c) * LD + d];
            }
        }
        for (int c = 0; c < SPT; c++) {
            const int jj = lane + TPR * c, j = j0 + jj;
            const float pr = (j < row_end && (!valid || valid[j])) ? __expf(p.scale * s[c] - row_lse) : 0.0f;
            ds_s[row * (BT + 1) + jj] = pr * (dp[c] - delta);
        }
        __syncwarp();

        for (int jj = 0; jj < BT; jj++) {
            const float ds = ds_s[row * (BT + 1) + jj];
            for (int o = 0; o < OPT; o++) acc[o] += ds * k_s[jj * LD + lane + TPR * o];
        }
        __syncthreads();   // k_s, v_s and ds_s are overwritten by the next tile
    }
    if (i < p.T) {
        for (int o = 0; o < OPT; o++) {
            const int c = lane + TPR * o;
            if (c < p.hd) dq[(row0 + i) * p.hd + c] = p.scale * acc[o];
        }
    }
}

bool valid_problem(const Problem& p) {
    return p.B >= 0 && p.H >= 0 && p.KV >= 1 && p.T >= 0 && p.Tk >= 0 && p.hd >= 1 && p.hd <= kMaxHeadDim
            && p.H % p.KV == 0 && p.B <= kMaxGridYZ && p.H <= kMaxGridYZ && p.KV <= kMaxGridYZ
            && p.q_bs >= 0 && p.q_hs >= 0 && p.kv_bs >= 0 && p.kv_hs >= 0;
}

template <int HD>
void launch_forward(const float* q, const float* k, const float* v, const unsigned char* key_valid, const Problem& p,
                    float* out, float* lse, cudaStream_t stream) {
    constexpr int BR = Tiles<HD>::kFwdRows;
    const dim3 grid((p.T + BR - 1) / BR, p.H, p.B);
    PN_LAUNCH(attention_forward_kernel<HD>, grid, dim3(kThreads), 0, stream)(q, k, v, key_valid, p, out, lse);
}

// The three backward launches; returns the first launch error.
template <int HD>
cudaError_t launch_backward(const float* q, const float* k, const float* v, const unsigned char* key_valid,
                            const float* out, const float* lse, const float* dout, const Problem& p, float* dq,
                            float* dk, float* dv, cudaStream_t stream) {
    constexpr int BT = Tiles<HD>::kBwdTile;
    const long long rows = (long long)p.B * p.H * p.T;
    float* delta = dq;   // scratch for D [B, H, T] until attention_dq_kernel writes dq
    if (rows > 0) {
        PN_LAUNCH(attention_delta_kernel, dim3(static_cast<unsigned>((rows + kWarps - 1) / kWarps)), dim3(kThreads), 0,
                  stream)(out, dout, rows, p.hd, delta);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
    }
    if ((long long)p.B * p.KV * p.Tk > 0) {
        const dim3 grid((p.Tk + BT - 1) / BT, p.KV, p.B);
        PN_LAUNCH(attention_dkdv_kernel<HD>, grid, dim3(kThreads), 0, stream)(q, k, v, key_valid, lse, dout, delta, p,
                                                                             dk, dv);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return e;
    }
    if (rows == 0) return cudaSuccess;
    const dim3 grid((p.T + BT - 1) / BT, p.H, p.B);
    PN_LAUNCH(attention_dq_kernel<HD>, grid, dim3(kThreads), 0, stream)(q, k, v, key_valid, out, lse, dout, p, dq);
    return cudaGetLastError();
}

}  // namespace

extern "C" int pn_attention_forward(const float* q, const float* k, const float* v, const unsigned char* key_valid,
                                    int B, int H, int KV, int T, int Tk, int hd, long long q_batch_stride,
                                    long long q_head_stride, long long kv_batch_stride, long long kv_head_stride,
                                    int causal, int start, float scale, float* out, float* lse, void* stream) {
    const Problem p{B, H, KV, T, Tk, hd, q_batch_stride, q_head_stride, kv_batch_stride, kv_head_stride, causal,
                    start, scale};
    if (!valid_problem(p)) return cudaErrorInvalidValue;
    if ((long long)B * H * T == 0) return cudaSuccess;
    const cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (hd <= 32) {
        launch_forward<32>(q, k, v, key_valid, p, out, lse, s);
    } else if (hd <= 64) {
        launch_forward<64>(q, k, v, key_valid, p, out, lse, s);
    } else {
        launch_forward<128>(q, k, v, key_valid, p, out, lse, s);
    }
    return static_cast<int>(cudaGetLastError());
}

extern "C" int pn_attention_backward(const float* q, const float* k, const float* v, const unsigned char* key_valid,
                                     const float* out, const float* lse, const float* dout, int B, int H, int KV,
                                     int T, int Tk, int hd, long long q_batch_stride, long long q_head_stride,
                                     long long kv_batch_stride, long long kv_head_stride, int causal, int start,
                                     float scale, float* dq, float* dk, float* dv, void* stream) {
    const Problem p{B, H, KV, T, Tk, hd, q_batch_stride, q_head_stride, kv_batch_stride, kv_head_stride, causal,
                    start, scale};
    if (!valid_problem(p) || ((long long)B * H * T + kWarps - 1) / kWarps > 0x7fffffffLL) return cudaErrorInvalidValue;
    const cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (hd <= 32) return static_cast<int>(launch_backward<32>(q, k, v, key_valid, out, lse, dout, p, dq, dk, dv, s));
    if (hd <= 64) return static_cast<int>(launch_backward<64>(q, k, v, key_valid, out, lse, dout, p, dq, dk, dv, s));
    return static_cast<int>(launch_backward<128>(q, k, v, key_valid, out, lse, dout, p, dq, dk, dv, s));
}
