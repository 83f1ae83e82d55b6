/*
 * decode_attention.cu — split-K ("flash-decoding") attention for one query row per head (decode_attention.h):
 * the keys of a decode step are cut into chunks handled by independent blocks, so a step has
 * B * KV * S blocks instead of the general kernel's B * H, and a second kernel combines the chunks' partial
 * softmax states with the log-sum-exp rule. Float32 arithmetic throughout; F16/BF16 caches are widened exactly
 * as they are loaded (pn_half.cuh), so the cache is read in its stored precision.
 *
 * decode_split_kernel: one block of 128 threads per (chunk, kv head and group of up to 8 query heads, batch).
 * All query heads that share the kv head are handled by the same block, so grouped-query attention reads each
 * K/V row once per group instead of once per query head. The chunk streams through shared memory in tiles of
 * 32 keys (converted to float, row stride HD + 1 so a warp reading one column of 32 rows hits 32 banks):
 *   1. scores: warp w sums the dims [w HD/4, (w + 1) HD/4) of <q_g, k_j> for key j = lane and every query head g
 *      of the block into a [warp, g, key] shared tile;
 *   2. online softmax: warp w owns heads g = w, w + 4 and adds the four partial dot products of key `lane` in a
 *      fixed order, masks, and updates its running max m and sum l (warp max / warp sum); it leaves
 *      p = exp(s - m_new) and the rescale alpha = exp(m_old - m_new) in shared memory. The exponent base is 0
 *      while a head has seen no visible key, so -inf - -inf never happens;
 *   3. P V: thread t owns the (head, column) pairs t + 128 o and does acc = alpha acc + sum_j p_j v_j.
 * Four __syncthreads per tile (after the load and after each phase). At the end the block writes its
 * unnormalised accumulators and (m, l) per head to the workspace.
 *
 * decode_combine_kernel: one warp per (batch, query head): M = max_c m_c, L = sum_c l_c exp(m_c - M),
 * out = sum_c a_c exp(m_c - M) / L, lse = M + log L, in a fixed order (deterministic).
 *
 * Why two kernels and not a last-block reduction: no zeroed counter array, no atomics or memory fences in the
 * ABI, and the combine is ~1 % of the bytes of a 7B step (docs/kernels.md, "decode_attention").
 * Reference: Attention.attend on the reference backend (native/ DecodeAttentionTest).
 */
#include "decode_attention.h"
#include "pn_block_reduce.cuh"
#include "pn_half.cuh"

namespace {

constexpr int kThreads = 128;
constexpr int kWarps = kThreads / 32;
constexpr int kTileKeys = 32;          // keys per shared-memory tile (one per lane in the softmax phase)
constexpr int kGroupMax = 8;           // query heads per block (a kv group larger than this uses several blocks)
constexpr int kMaxHeadDim = 128;
constexpr int kMaxGridYZ = 65535;
constexpr int kMinChunk = 128;         // heuristic: fewest keys per split
constexpr int kBlocksPerSm = 4;        // heuristic: split blocks wanted per SM

// The problem as the launcher received it, with the derived sizes (passed by value to both kernels).
struct Problem {
    int B, H, KV, Tk, hd;
    long long q_bs, q_hs, kv_bs, kv_hs;   // batch/head strides of q and of k/v, in elements
    int key_end;                          // keys [key_end, Tk) are hidden by the causal rule
    float scale;
    int chunk, splits;                    // keys per split and number of splits (ceil(Tk / chunk))
    int group, head_chunks;               // H / KV and ceil(group / kGroupMax)
};

template <int HD, int DT>
__global__ void __launch_bounds__(kThreads) decode_split_kernel(const float* q, const void* k, const void* v,
                                                                const unsigned char* key_valid, Problem p,
                                                                float* part_acc, float* part_ml) {
    constexpr int LD = HD + 1;
    constexpr int DPW = HD / kWarps;                  // dims each warp sums in the score phase
    constexpr int HPW = kGroupMax / kWarps;           // heads whose softmax state a warp keeps
    constexpr int OPT = kGroupMax * HD / kThreads;    // (head, column) accumulators per thread
    __shared__ float q_s[kGroupMax * HD];                     // [g, HD] the block's query rows, zero padded
    __shared__ float k_s[kTileKeys * LD];                     // [key, HD] current key tile as float
    __shared__ float v_s[kTileKeys * LD];                     // [key, HD] current value tile as float
    __shared__ float dot_s[kWarps * kGroupMax * kTileKeys];   // [warp, g, key] dot products over the warp's dims
    __shared__ float p_s[kGroupMax * kTileKeys];              // [g, key] exp(s - m) of the tile
    __shared__ float alpha_s[kGroupMax];                      // [g] rescale of the accumulators

    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int split = blockIdx.x, b = blockIdx.z;
    const int kvh = blockIdx.y / p.head_chunks, hc = blockIdx.y % p.head_chunks;
    const int h0 = kvh * p.group + hc * kGroupMax;                        // the block's first query head
    const int heads = p.group - hc * kGroupMax < kGroupMax ? p.group - hc * kGroupMax : kGroupMax;   // its query heads
    const long long kv_off = b * p.kv_bs + kvh * p.kv_hs;                 // k, v [Tk, hd] of (b, kvh)
    const unsigned char* valid = key_valid ? key_valid + (long long)b * p.Tk : nullptr;   // [Tk]
    const long long first = (long long)split * p.chunk;
    const int j_begin = static_cast<int>(first);
    const int j_end = first + p.chunk < p.key_end ? static_cast<int>(first + p.chunk) : p.key_end;

    for (int e = tid; e < kGroupMax * HD; e += kThreads) {
        const int g = e / HD, d = e % HD;
        q_s[e] = (g < heads && d < p.hd) ? q[b * p.q_bs + (h0 + g) * p.q_hs + d] : 0.0f;
    }
    float m[HPW], l[HPW];   // running max and sum of heads warp + kWarps * r (identical in every lane)
    PN_UNROLL
    for (int r = 0; r < HPW; r++) {
        m[r] = -INFINITY;
        l[r] = 0.0f;
    }
    float acc[OPT] = {};    // sum exp(s - m) v of the pairs tid + kThreads * o
    for (int j0 = j_begin; j0 < j_end; j0 += kTileKeys) {
        for (int e = tid; e < kTileKeys * HD; e += kThreads) {
            const int r = e / HD, d = e % HD;
            const bool in = j0 + r < j_end && d < p.hd;
            const long long at = kv_off + (long long)(j0 + r) * p.hd + d;
            k_s[r * LD + d] = in ? pn::load_float(k, DT, at) : 0.0f;
            v_s[r * LD + d] = in ? pn::load_float(v, DT, at) : 0.0f;
        }
        __syncthreads();

        float s[kGroupMax] = {};
        for (int dd = 0; dd < DPW; dd++) {
            const int d = warp * DPW + dd;
            const float kd = k_s[lane * LD + d];
            PN_UNROLL
            for (int g = 0; g < kGroupMax; g++) {
                if (g < heads) s[g] += q_s[g * HD + d] * kd;
            }
        }
        PN_UNROLL
        for (int g = 0; g < kGroupMax; g++) {
            if (g < heads) dot_s[(warp * kGroupMax + g) * kTileKeys + lane] = s[g];
        }
        __syncthreads();

        PN_UNROLL
        for (int r = 0; r < HPW; r++) {
            const int g = warp + kWarps * r;
            if (g < heads) {   // uniform in the warp
                float dot = 0.0f;
                for (int w = 0; w < kWarps; w++) dot += dot_s[(w * kGroupMax + g) * kTileKeys + lane];
                const int j = j0 + lane;
                const float sj = (j < j_end && (!valid || valid[j])) ? p.scale * dot : -INFINITY;
                const float m_new = fmaxf(m[r], pn::warp_max(sj));
                const float base = m_new == -INFINITY ? 0.0f : m_new;   // nothing visible yet: every term is 0
                const float alpha = __expf(m[r] - base);                  // 0 while m = -inf
                const float e = __expf(sj - base);
                l[r] = l[r] * alpha + pn::warp_sum(e);
                m[r] = m_new;
                p_s[g * kTileKeys + lane] = e;
                if (lane == 0) alpha_s[g] = alpha;
            }
        }
        __syncthreads();

        PN_UNROLL
        for (int o = 0; o < OPT; o++) {
            const int pair = tid + kThreads * o, g = pair / HD, c = pair % HD;
            if (g < heads) {
                float a = acc[o] * alpha_s[g];
                for (int jj = 0; jj < kTileKeys; jj++) a += p_s[g * kTileKeys + jj] * v_s[jj * LD + c];
                acc[o] = a;
            }
        }
        __syncthreads();   // k_s, v_s, p_s and alpha_s are overwritten by the next tile
    }

    const long long row0 = (long long)b * p.H + h0;   // row (b, h0) of [B, H]
    PN_UNROLL
    for (int o = 0; o < OPT; o++) {
        const int pair = tid + kThreads * o, g = pair / HD, c = pair % HD;
        if (g < heads && c < p.hd) part_acc[((row0 + g) * p.splits + split) * p.hd + c] = acc[o];
    }
    PN_UNROLL
    for (int r = 0; r < HPW; r++) {
        const int g = warp + kWarps * r;
        if (g < heads && lane == 0) {
            float* ml = part_ml + ((row0 + g) * p.splits + split) * 2;
            ml[0] = m[r];
            ml[1] = l[r];
        }
    }
}

// out [B*H, hd], lse [B*H] from the splits' partial states; one warp per row.
__global__ void __launch_bounds__(kThreads) decode_combine_kernel(const float* part_acc, const float* part_ml,
                                                                  Problem p, float* out, float* lse) {
    const long long r = (long long)blockIdx.x * kWarps + threadIdx.x / 32;
    if (r >= (long long)p.B * p.H) return;   // the whole warp: no lane of a collective below exits
    const int lane = threadIdx.x % 32;
    const float* ml = part_ml + r * p.splits * 2;   // [S, 2]
    float mx = -INFINITY;
    for (int c = lane; c < p.splits; c += 32) mx = fmaxf(mx, ml[2 * c]);
    mx = pn::warp_max(mx);
    float sum = 0.0f;
    for (int c = lane; c < p.splits; c += 32) {
        const float mc = ml[2 * c];
        if (mc != -INFINITY) sum += ml[2 * c + 1] * __expf(mc - mx);
    }
    sum = pn::warp_sum(sum);
    const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
    for (int d = lane; d < p.hd; d += 32) {
        float a = 0.0f;
        for (int c = 0; c < p.splits; c++) {
            const float mc = ml[2 * c];
            if (mc != -INFINITY) a += part_acc[(r * p.splits + c) * p.hd + d] * __expf(mc - mx);
        }
        out[r * p.hd + d] = a * inv;
    }
    if (lse != nullptr && lane == 0) lse[r] = sum > 0.0f ? mx + logf(sum) : -INFINITY;
}

template <int HD, int DT>
void launch_split(const float* q, const void* k, const void* v, const unsigned char* key_valid, const Problem& p,
                  float* part_acc, float* part_ml, cudaStream_t stream) {
    const dim3 grid(p.splits, p.KV * p.head_chunks, p.B);
    const auto kernel = &decode_split_kernel<HD, DT>;   // (a two-argument template would split the macro argument)
    PN_LAUNCH(kernel, grid, dim3(kThreads), 0, stream)(q, k, v, key_valid, p, part_acc, part_ml);
}

template <int HD>
void launch_split_typed(int dtype, const float* q, const void* k, const void* v, const unsigned char* key_valid,
                        const Problem& p, float* part_acc, float* part_ml, cudaStream_t stream) {
    if (dtype == PN_DTYPE_BF16) {
        launch_split<HD, PN_DTYPE_BF16>(q, k, v, key_valid, p, part_acc, part_ml, stream);
    } else if (dtype == PN_DTYPE_F16) {
        launch_split<HD, PN_DTYPE_F16>(q, k, v, key_valid, p, part_acc, part_ml, stream);
    } else {
        launch_split<HD, PN_DTYPE_F32>(q, k, v, key_valid, p, part_acc, part_ml, stream);
    }
}

long long ceil_div(long long a, long long b) { return (a + b - 1) / b; }

}  // namespace

extern "C" int pn_decode_attention_chunk(int B, int H, int KV, int Tk, int multiprocessors, int* chunk) {
    if (B < 0 || H < 0 || KV < 1 || H % KV != 0 || Tk < 0 || chunk == nullptr) return cudaErrorInvalidValue;
    int sms = multiprocessors;
    if (sms <= 0) {
        int device = 0;
        cudaError_t e = cudaGetDevice(&device);
        if (e == cudaSuccess) e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
        if (e != cudaSuccess) return static_cast<int>(e);
    }
    // splits wanted for kBlocksPerSm blocks per SM; the chunk that gives them, in whole tiles, >= kMinChunk keys
    const long long blocks_per_split = (long long)B * KV * ceil_div(H / KV, kGroupMax);
    const long long want = blocks_per_split > 0 ? ceil_div((long long)kBlocksPerSm * sms, blocks_per_split) : 1;
    const long long keys = ceil_div(Tk > 0 ? Tk : 1, want < 1 ? 1 : want);
    long long tiles = ceil_div(keys, kTileKeys) * kTileKeys;
    if (tiles > 0x7fffffe0LL) tiles = 0x7fffffe0LL;   // Tk near 2^31: still an int
    *chunk = static_cast<int>(tiles > kMinChunk ? tiles : kMinChunk);
    return cudaSuccess;
}

extern "C" int pn_decode_attention(const float* q, const void* k, const void* v, int kv_dtype,
                                   const unsigned char* key_valid, int B, int H, int KV, int Tk, int hd,
                                   long long q_batch_stride, long long q_head_stride, long long kv_batch_stride,
                                   long long kv_head_stride, int causal, int start, float scale, int chunk,
                                   float* partial, float* out, float* lse, void* stream) {
    if (B < 0 || H < 0 || KV < 1 || Tk < 0 || hd < 1 || hd > kMaxHeadDim || H % KV != 0 || chunk < 1
        || B > kMaxGridYZ || q_batch_stride < 0 || q_head_stride < 0 || kv_batch_stride < 0 || kv_head_stride < 0
        || !pn::is_float_dtype(kv_dtype)) {
        return cudaErrorInvalidValue;
    }
    const int group = H / KV;
    const int head_chunks = static_cast<int>(ceil_div(group, kGroupMax));
    if ((long long)KV * head_chunks > kMaxGridYZ || ceil_div((long long)B * H, kWarps) > 0x7fffffffLL) {
        return cudaErrorInvalidValue;
    }
    if ((long long)B * H == 0) return cudaSuccess;
    if (q == nullptr || out == nullptr || (Tk > 0 && (k == nullptr || v == nullptr || partial == nullptr))) {
        return cudaErrorInvalidValue;
    }
    const long long visible = causal ? (long long)start + 1 : Tk;
    const int key_end = visible < 0 ? 0 : (visible > Tk ? Tk : static_cast<int>(visible));
    const int splits = static_cast<int>(ceil_div(Tk, chunk));
    const Problem p{B, H, KV, Tk, hd, q_batch_stride, q_head_stride, kv_batch_stride, kv_head_stride, key_end, scale,
                    chunk, splits, group, head_chunks};
    float* part_acc = partial;                                                   // [B, H, S, hd]
    float* part_ml = partial == nullptr ? nullptr : partial + (long long)B * H * splits * hd;   // [B, H, S, 2]
    const cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (splits > 0) {
        if (hd <= 32) {
            launch_split_typed<32>(kv_dtype, q, k, v, key_valid, p, part_acc, part_ml, s);
        } else if (hd <= 64) {
            launch_split_typed<64>(kv_dtype, q, k, v, key_valid, p, part_acc, part_ml, s);
        } else {
            launch_split_typed<128>(kv_dtype, q, k, v, key_valid, p, part_acc, part_ml, s);
        }
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) return static_cast<int>(e);
    }
    const long long rows = (long long)B * H;
    PN_LAUNCH(decode_combine_kernel, dim3(static_cast<unsigned>(ceil_div(rows, kWarps))), dim3(kThreads), 0, s)(
            part_acc, part_ml, p, out, lse);
    return static_cast<int>(cudaGetLastError());
}
