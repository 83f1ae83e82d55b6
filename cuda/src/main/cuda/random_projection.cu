/*
 * random_projection.cu — Rademacher random projection out[n, k] (+)= x[n, d] · R[d, k] and row L2 normalisation
 * (random_projection.h; docs/methods/adapt-inf.md §2.4–2.5). The real case is n <= 16..64 gradients of d ≈ 10^7 coordinates
 * projected to k = 8192: a GEMM with a tiny M, a huge reduction dimension and a B operand (R, 8·10^10 signs)
 * that must never exist in memory.
 *
 * Projection kernel, one block of 256 threads (8 warps) per (128-column tile, d-chunk, group of NS samples),
 * NS = 4 when n <= 4 else 16:
 *  - per stage of 64 rows j: the x tile [NS, 64] is staged transposed in shared memory (xs[j][s], rows padded to
 *    an odd stride, so the coalesced loads store without bank conflicts and every read is a warp broadcast), and
 *    128 threads hash the 64 rows x 2 words of sign bits of the block's columns (one 64-bit hash per row and
 *    64 columns, RademacherSigns' recipe) into shared memory. The signs exist only as those bits.
 *  - each warp takes rows j = warp, warp + 8, ...; lane l owns columns 4l .. 4l+3, turns its 4 bits into ±1.0f
 *    with selects, and does NS x 4 FMAs per row with the broadcast x values: 64 accumulators per thread for
 *    NS = 16, 2 shared loads + 8 select ops per 64 FMAs. Hashing costs 2 mix64 per 64 rows x 128 columns per
 *    thread of the first half of the block, a few % of the FMA work.
 *  - at the end of its chunk the block sums its 8 warps in shared memory in warp order.
 * Split of d (deterministic by design, no atomics): the rows are cut into at most 64 chunks (blockIdx.y), enough
 * that the grid has ~2048 blocks (for n = 16, k = 8192: 64 column tiles x 32 chunks). With one chunk the block
 * writes out directly; otherwise each chunk writes its partial sums to a workspace [chunks, n, k]
 * (cudaMallocAsync on the stream) and a second kernel adds the chunks in chunk order into out. The number of
 * chunks depends only on n, d and k, so results are bitwise reproducible run to run and across GPUs.
 *
 * Normalisation kernel: one 128-thread block per row, three passes over the row: m = max|x| (block max),
 * s = Σ (x/m)² (block sum, s ∈ [1, k]), then x = (x/m) / sqrt(s); m = 0 leaves the row as is (zero stays zero).
 * Reference: dev.perennial.select.RandomProjection (tests in native/, RandomProjectionKernelTest).
 */
#include "random_projection.h"
#include "pn_block_reduce.cuh"

namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kCols = 128;                          // output columns per block
constexpr int kColsPerLane = kCols / 32;            // 4
constexpr int kWords = kCols / 64;                  // 64-bit sign words per row of the block
constexpr int kHalves = kCols / 32;                 // the same as 32-bit halves (lane l reads half l / 8)
constexpr int kStageRows = 64;                      // coordinates j staged per step
constexpr long long kMaxChunks = 64;
constexpr long long kTargetBlocks = 2048;
constexpr int kReduceThreads = 256;
constexpr long long kMaxReduceBlocks = 4096;
constexpr int kNormThreads = 128;
constexpr unsigned long long kGamma = 0x9E3779B97F4A7C15ull;

// SplitMix64's finaliser, the mix64 of RademacherSigns.
__host__ __device__ __forceinline__ unsigned long long mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Writes out[n, k] (accumulate: adds to it) or, with a workspace, partial[blockIdx.y, n, k] for rows
// [blockIdx.y * chunk_rows, +chunk_rows) of x, columns [blockIdx.x * 128, +128), samples [blockIdx.z * NS, +NS).
template <int NS>
__global__ void __launch_bounds__(kThreads) rademacher_project_kernel(const float* x, int n, long long d, int k,
                                                                      unsigned long long seed_key,
                                                                      unsigned long long row_offset,
                                                                      long long chunk_rows, int accumulate,
                                                                      float* out, float* partial) {
    constexpr int kXStride = NS + 1;                                    // odd: conflict-free transposing stores
    __shared__ float xs[kStageRows * kXStride];                         // [kStageRows, NS(+1)] x tile, transposed
    __shared__ unsigned bits[kStageRows * kHalves];                     // [kStageRows, 4] sign bits of the tile
    __shared__ float red[NS * kCols];                                   // [NS, kCols] sum over the warps

    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int col0 = blockIdx.x * kCols;
    const int sample0 = blockIdx.z * NS;
    const long long j_begin = blockIdx.y * chunk_rows;
    const long long j_end = d < j_begin + chunk_rows ? d : j_begin + chunk_rows;

    float acc[NS][kColsPerLane];
    for (int s = 0; s < NS; ++s)
        for (int c = 0; c < kColsPerLane; ++c) acc[s][c] = 0.0f;

    for (long long j0 = j_begin; j0 < j_end; j0 += kStageRows) {
        for (int e = tid; e < NS * kStageRows; e += kThreads) {
            const int s = e / kStageRows, t = e % kStageRows;
            const int i = sample0 + s;
            const long long j = j0 + t;
            xs[t * kXStride + s] = (i < n && j < j_end) ? x[(long long)i * d + j] : 0.0f;
        }
        if (tid < kStageRows * kWords) {
            const int t = tid / kWords, w = tid % kWords;
            const unsigned long long row = row_offset + (unsigned long long)(j0 + t);
            const unsigned long long key = mix64(seed_key + kGamma * (row + 1ull));
            const unsigned long long word = (unsigned long long)(col0 / 64 + w);
            const unsigned long long b = mix64(key + kGamma * (word + 1ull));
            bits[t * kHalves + 2 * w] = (unsigned)b;                    // columns 64w .. 64w+31 of the tile
            bits[t * kHalves + 2 * w + 1] = (unsigned)(b >> 32);        // columns 64w+32 .. 64w+63
        }
        __syncthreads();
        for (int t = warp; t < kStageRows; t += kWarps) {
            const unsigned v = bits[t * kHalves + (lane >> 3)] >> ((lane & 7) * kColsPerLane);
            float sign[kColsPerLane];
            for (int c = 0; c < kColsPerLane; ++c) sign[c] = ((v >> c) & 1u) ? -1.0f : 1.0f;
            const float* xr = xs + t * kXStride;                        // [NS] samples of row j0 + t
            for (int s = 0; s < NS; ++s) {
                const float xv = xr[s];
                for (int c = 0; c < kColsPerLane; ++c) acc[s][c] = fmaf(xv, sign[c], acc[s][c]);
            }
        }
        __syncthreads();
    }

    for (int w = 0; w < kWarps; ++w) {                                  // warp order: deterministic
        if (warp == w) {
            for (int s = 0; s < NS; ++s)
                for (int c = 0; c < kColsPerLane; ++c) {
                    float& r = red[s * kCols + lane * kColsPerLane + c];
                    r = w == 0 ? acc[s][c] : r + acc[s][c];
                }
        }
        __syncthreads();
    }
    for (int e = tid; e < NS * kCols; e += kThreads) {
        const int i = sample0 + e / kCols, col = col0 + e % kCols;
        if (i >= n || col >= k) continue;
        const long long o = (long long)i * k + col;
        if (partial) {
            partial[blockIdx.y * (long long)n * k + o] = red[e];
        } else {
            out[o] = accumulate ? out[o] + red[e] : red[e];
        }
    }
}

// out[e] = (accumulate ? out[e] : 0) + Σ_{ch < chunks} partial[ch, e], chunks added in order; e < nk.
__global__ void __launch_bounds__(kReduceThreads) sum_chunks_kernel(const float* partial, int chunks, long long nk,
                                                                    int accumulate, float* out) {
    for (long long e = (long long)blockIdx.x * kReduceThreads + threadIdx.x; e < nk;
         e += (long long)gridDim.x * kReduceThreads) {
        float s = 0.0f;
        for (int ch = 0; ch < chunks; ++ch) s += partial[ch * nk + e];
        out[e] = accumulate ? out[e] + s : s;
    }
}

__global__ void __launch_bounds__(kNormThreads) l2_normalize_rows_kernel(float* x, int k) {
    __shared__ float partials[32];
    float* row = x + (long long)blockIdx.x * k;                          // [k]
    float m = 0.0f;
    for (int c = threadIdx.x; c < k; c += blockDim.x) m = fmaxf(m, fabsf(row[c]));
    m = pn::block_max(m, partials);
    if (m == 0.0f) return;                                              // zero row (the same in every thread)
    float s = 0.0f;
    for (int c = threadIdx.x; c < k; c += blockDim.x) {
        const float v = row[c] / m;
        s = fmaf(v, v, s);
    }
    const float inv = 1.0f / sqrtf(pn::block_sum(s, partials));
    for (int c = threadIdx.x; c < k; c += blockDim.x) row[c] = row[c] / m * inv;
}

}  // namespace

extern "C" int pn_rademacher_project(const float* x, int n, long long d, int k, unsigned long long seed,
                                     long long row_offset, int accumulate, float* out, void* stream) {
    if (n < 0 || d < 0 || k < 0 || row_offset < 0) return cudaErrorInvalidValue;
    const int ns = n > 4 ? 16 : 4;
    const long long groups = ((long long)n + ns - 1) / ns;
    if (groups > 65535) return cudaErrorInvalidValue;                   // gridDim.z limit: n <= 1048560
    if (n == 0 || k == 0) return cudaSuccess;
    const cudaStream_t s = static_cast<cudaStream_t>(stream);
    const long long nk = (long long)n * k;
    const long long reduce_blocks_wanted = (nk + kReduceThreads - 1) / kReduceThreads;
    const dim3 reduce_grid(static_cast<unsigned>(reduce_blocks_wanted < kMaxReduceBlocks ? reduce_blocks_wanted
                                                                                        : kMaxReduceBlocks));
    if (d == 0) {                                                       // empty sum
        if (accumulate) return cudaSuccess;
        PN_LAUNCH(sum_chunks_kernel, reduce_grid, dim3(kReduceThreads), 0, s)(nullptr, 0, nk, 0, out);
        return static_cast<int>(cudaGetLastError());
    }

    const long long col_tiles = (k + kCols - 1) / kCols;
    const long long stages = (d + kStageRows - 1) / kStageRows;
    long long chunks = kTargetBlocks / (col_tiles * groups);
    if (chunks < 1) chunks = 1;
    if (chunks > kMaxChunks) chunks = kMaxChunks;
    if (chunks > stages) chunks = stages;
    const long long chunk_rows = ((d + chunks - 1) / chunks + kStageRows - 1) / kStageRows * kStageRows;
    chunks = (d + chunk_rows - 1) / chunk_rows;

    float* partial = nullptr;
    if (chunks > 1) {
        const cudaError_t err = cudaMallocAsync(reinterpret_cast<void**>(&partial),
                                                static_cast<size_t>(chunks * nk) * sizeof(float), s);
        if (err != cudaSuccess) return static_cast<int>(err);
    }
    const dim3 grid(static_cast<unsigned>(col_tiles), static_cast<unsigned>(chunks), static_cast<unsigned>(groups));
    const unsigned long long seed_key = mix64(seed);
    if (ns == 16) {
        PN_LAUNCH(rademacher_project_kernel<16>, grid, dim3(kThreads), 0, s)(
            x, n, d, k, seed_key, static_cast<unsigned long long>(row_offset), chunk_rows, accumulate, out, partial);
    } else {
        PN_LAUNCH(rademacher_project_kernel<4>, grid, dim3(kThreads), 0, s)(
            x, n, d, k, seed_key, static_cast<unsigned long long>(row_offset), chunk_rows, accumulate, out, partial);
    }
    cudaError_t err = cudaGetLastError();
    if (partial) {
        if (err == cudaSuccess) {
            PN_LAUNCH(sum_chunks_kernel, reduce_grid, dim3(kReduceThreads), 0, s)(
                partial, static_cast<int>(chunks), nk, accumulate, out);
            err = cudaGetLastError();
        }
        const cudaError_t freed = cudaFreeAsync(partial, s);
        if (err == cudaSuccess) err = freed;
    }
    return static_cast<int>(err);
}

extern "C" int pn_l2_normalize_rows(float* x, int n, int k, void* stream) {
    if (n < 0 || k < 0) return cudaErrorInvalidValue;
    if (n == 0 || k == 0) return cudaSuccess;
    PN_LAUNCH(l2_normalize_rows_kernel, dim3(n), dim3(kNormThreads), 0, static_cast<cudaStream_t>(stream))(x, k);
    return static_cast<int>(cudaGetLastError());
}
