/*
 * kmeans_assign.cu — nearest-centroid assignment for k-means (kmeans_assign.h; adapt-inf.md §3). The real case
 * is n up to ~10^6 unit vectors of d = 8192 and K ≈ 10 centroids: n·K·d FMAs against n·d floats read, so for
 * K below ~40 the kernel is bound by reading x once, and the design reads it once per 16 centroids.
 *
 * One block of 256 threads per tile of 64 points. Centroids are taken 16 at a time; for each such tile the
 * block loops over d in stages of 32 dims, staging x [64, 32] (rows padded to 33 floats: conflict-free) and the
 * centroids [32, 16] (transposed, dim-major) in shared memory. Thread (p = tid % 64, g = tid / 64) computes
 * Σ (x_p - c)² for point p and centroids 4g .. 4g+3 of the tile: per dim one conflict-free load of x, four
 * warp-broadcast loads of centroid values, 4 x (sub + FMA). The exact differences (instead of the GEMM form
 * ‖x‖² − 2x·c + ‖c‖²) cost one extra op per term, which a kernel bound by memory traffic does not notice, and
 * give distances >= 0 with no cancellation.
 * After each centroid tile every thread picks the best of its 4 candidates, the 4 groups' winners meet in shared
 * memory and the g = 0 thread of each point folds them, in index order, into its running best with the rule
 * "smaller distance, NaN after every number, ties to the lower index" (closer() below, which also orders
 * NaN against NaN by index so the result does not depend on the order of the comparisons).
 * Reference: dev.perennial.select.KMeansAssignment.reference (tests in native/, KMeansAssignKernelTest).
 */
#include "kmeans_assign.h"
#include "perennial_compat.h"

namespace {

constexpr int kThreads = 256;
constexpr int kPoints = 64;                         // points per block
constexpr int kCentroids = 16;                      // centroids per tile
constexpr int kGroups = kThreads / kPoints;         // 4 centroid groups per point
constexpr int kPerThread = kCentroids / kGroups;    // 4 centroids per thread
constexpr int kDims = 32;                           // dims per stage
constexpr int kXStride = kDims + 1;
constexpr int kNoLabel = 0x7fffffff;

// Whether candidate (v, i) beats (best, best_i): smaller distance; NaN after every number; ties, NaN ones
// included, to the lower index.
__device__ __forceinline__ bool closer(float v, int i, float best, int best_i) {
    const bool v_nan = isnan(v), best_nan = isnan(best);
    if (v_nan != best_nan) return best_nan;
    if (!v_nan && v != best) return v < best;
    return i < best_i;
}

__global__ void __launch_bounds__(kThreads) kmeans_assign_kernel(const float* x, const float* centroids, int n,
                                                                 int d, int K, int* labels, float* dist) {
    __shared__ float xs[kPoints * kXStride];        // [kPoints, kDims(+1)] x tile
    __shared__ float cs[kDims * kCentroids];        // [kDims, kCentroids] centroid tile, transposed
    __shared__ float group_dist[kGroups * kPoints]; // [kGroups, kPoints] each group's best
    __shared__ int group_label[kGroups * kPoints];

    const int tid = threadIdx.x, p = tid % kPoints, g = tid / kPoints;
    const long long point0 = (long long)blockIdx.x * kPoints;
    float best = NAN;                               // running best of point p (used by g == 0)
    int best_label = kNoLabel;

    for (int c0 = 0; c0 < K; c0 += kCentroids) {
        float acc[kPerThread];
        for (int q = 0; q < kPerThread; ++q) acc[q] = 0.0f;
        for (int d0 = 0; d0 < d; d0 += kDims) {
            for (int e = tid; e < kPoints * kDims; e += kThreads) {
                const int pp = e / kDims, dd = e % kDims;
                const long long i = point0 + pp;
                const int j = d0 + dd;
                xs[pp * kXStride + dd] = (i < n && j < d) ? x[i * d + j] : 0.0f;
            }
            for (int e = tid; e < kDims * kCentroids; e += kThreads) {
                const int dd = e / kCentroids, cc = e % kCentroids;
                const int c = c0 + cc, j = d0 + dd;
                cs[e] = (c < K && j < d) ? centroids[(long long)c * d + j] : 0.0f;
            }
            __syncthreads();
            const float* xp = xs + p * kXStride;                        // [kDims] of point p
            for (int dd = 0; dd < kDims; ++dd) {
                const float xv = xp[dd];
                const float* cr = cs + dd * kCentroids + g * kPerThread;   // [kPerThread] centroids of group g
                for (int q = 0; q < kPerThread; ++q) {
                    const float diff = xv - cr[q];
                    acc[q] = fmaf(diff, diff, acc[q]);
                }
            }
            __syncthreads();
        }
        float mine = NAN;
        int mine_label = kNoLabel;
        for (int q = 0; q < kPerThread; ++q) {
            const int c = c0 + g * kPerThread + q;
            if (c < K && closer(acc[q], c, mine, mine_label)) {
                mine = acc[q];
                mine_label = c;
            }
        }
        group_dist[g * kPoints + p] = mine;
        group_label[g * kPoints + p] = mine_label;
        __syncthreads();                            // the next writes come after the next tile's first barrier
        if (g == 0) {
            for (int gg = 0; gg < kGroups; ++gg) {
                const float v = group_dist[gg * kPoints + p];
                const int c = group_label[gg * kPoints + p];
                if (c != kNoLabel && closer(v, c, best, best_label)) {
                    best = v;
                    best_label = c;
                }
            }
        }
    }
    if (g == 0 && point0 + p < n) {
        labels[point0 + p] = best_label;
        dist[point0 + p] = best;
    }
}

}  // namespace

extern "C" int pn_kmeans_assign(const float* x, const float* centroids, int n, int d, int K, int* labels,
                                float* dist, void* stream) {
    if (n < 0 || d < 1 || K < 1) return cudaErrorInvalidValue;
    if (n == 0) return cudaSuccess;
    const unsigned blocks = static_cast<unsigned>(((long long)n + kPoints - 1) / kPoints);
    PN_LAUNCH(kmeans_assign_kernel, dim3(blocks), dim3(kThreads), 0, static_cast<cudaStream_t>(stream))(
        x, centroids, n, d, K, labels, dist);
    return static_cast<int>(cudaGetLastError());
}
