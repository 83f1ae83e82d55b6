/*
 * kmeans_assign.cu — nearest-centroid assignment for k-means (kmeans_assign.h; docs/methods/adapt-inf.md §3). The real case
 * is n up to ~10^6 unit vectors of d = 8192 and K ≈ 10 centroids: a [n, d] x [d, K] product with a tiny K, so
 * the kernel must read x once (per 16 centroids) and keep shared-memory traffic below the FP work.
 *
 * One block of 128 threads (4 warps) per tile of 128 points; centroids are taken 16 per tile, and for each
 * centroid tile the block loops over d in stages of 16 dims, staging x [128, 16] and the centroids [16, 16]
 * (transposed, dim-major) in shared memory, both with rows padded to 17 floats so the coalesced global loads
 * store without bank conflicts. Warp g owns centroids 4g .. 4g+3 of the tile, lane l owns points l, l+32, l+64,
 * l+96: per dim a thread does 4 conflict-free loads of x, 4 warp-broadcast loads of centroid values and
 * 16 x (sub + FMA), so shared-memory wavefronts (8) match FP32 issue slots (32 instructions / 4 per clock).
 * The exact differences (rather than ‖x‖² − 2x·c + ‖c‖²) give distances >= 0 with no cancellation; the extra
 * subtraction costs nothing in a kernel bound by reading x.
 * After each centroid tile every thread keeps the best of its 4 candidates per point, the 4 warps' winners meet
 * in shared memory and warp 0 folds them into its running best per point with closer() — smaller distance, NaN
 * after every number, ties (NaN ones included) to the lower index — which is a total order on (distance, index),
 * so the result does not depend on the order of the comparisons.
 * Reference: dev.perennial.cluster.KMeansAssignment.reference (tests in native/, KMeansAssignKernelTest).
 */
#include "kmeans_assign.h"
#include "perennial_compat.h"

namespace {

constexpr int kThreads = 128;
constexpr int kLanes = 32;
constexpr int kPointsPerThread = 4;
constexpr int kPoints = kLanes * kPointsPerThread;  // 128 points per block
constexpr int kCentroidsPerThread = 4;
constexpr int kGroups = kThreads / kLanes;          // 4 warps, one centroid group each
constexpr int kCentroids = kGroups * kCentroidsPerThread;   // 16 centroids per tile
constexpr int kDims = 16;                           // dims per stage
constexpr int kStride = kDims + 1;                  // padded rows of both staged tiles
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
    __shared__ float xs[kPoints * kStride];          // [kPoints, kDims(+1)] x tile
    __shared__ float cs[kDims * kStride];            // [kDims, kCentroids(+1)] centroid tile, transposed
    __shared__ float group_dist[kGroups * kPoints];  // [kGroups, kPoints] each warp's best per point
    __shared__ int group_label[kGroups * kPoints];

    const int tid = threadIdx.x, lane = tid % kLanes, g = tid / kLanes;
    const long long point0 = (long long)blockIdx.x * kPoints;
    float best[kPointsPerThread];                    // running best of points lane + 32 r (used by warp 0)
    int best_label[kPointsPerThread];
    for (int r = 0; r < kPointsPerThread; ++r) {
        best[r] = NAN;
        best_label[r] = kNoLabel;
    }

    for (int c0 = 0; c0 < K; c0 += kCentroids) {
        float acc[kPointsPerThread][kCentroidsPerThread];
        for (int r = 0; r < kPointsPerThread; ++r)
            for (int q = 0; q < kCentroidsPerThread; ++q) acc[r][q] = 0.0f;
        for (int d0 = 0; d0 < d; d0 += kDims) {
            for (int e = tid; e < kPoints * kDims; e += kThreads) {
                const int pp = e / kDims, dd = e % kDims;
                const long long i = point0 + pp;
                const int j = d0 + dd;
                xs[pp * kStride + dd] = (i < n && j < d) ? x[i * d + j] : 0.0f;
            }
            for (int e = tid; e < kCentroids * kDims; e += kThreads) {
                const int cc = e / kDims, dd = e % kDims;
                const int c = c0 + cc, j = d0 + dd;
                cs[dd * kStride + cc] = (c < K && j < d) ? centroids[(long long)c * d + j] : 0.0f;
            }
            __syncthreads();
            for (int dd = 0; dd < kDims; ++dd) {
                float xv[kPointsPerThread], cv[kCentroidsPerThread];
                for (int r = 0; r < kPointsPerThread; ++r) xv[r] = xs[(lane + kLanes * r) * kStride + dd];
                for (int q = 0; q < kCentroidsPerThread; ++q) cv[q] = cs[dd * kStride + g * kCentroidsPerThread + q];
                for (int r = 0; r < kPointsPerThread; ++r)
                    for (int q = 0; q < kCentroidsPerThread; ++q) {
                        const float diff = xv[r] - cv[q];
                        acc[r][q] = fmaf(diff, diff, acc[r][q]);
                    }
            }
            __syncthreads();
        }
        for (int r = 0; r < kPointsPerThread; ++r) {
            float mine = NAN;
            int mine_label = kNoLabel;
            for (int q = 0; q < kCentroidsPerThread; ++q) {
                const int c = c0 + g * kCentroidsPerThread + q;
                if (c < K && closer(acc[r][q], c, mine, mine_label)) {
                    mine = acc[r][q];
                    mine_label = c;
                }
            }
            group_dist[g * kPoints + lane + kLanes * r] = mine;
            group_label[g * kPoints + lane + kLanes * r] = mine_label;
        }
        __syncthreads();                             // the next writes come after the next tile's first barrier
        if (g == 0) {
            for (int r = 0; r < kPointsPerThread; ++r)
                for (int gg = 0; gg < kGroups; ++gg) {
                    const float v = group_dist[gg * kPoints + lane + kLanes * r];
                    const int c = group_label[gg * kPoints + lane + kLanes * r];
                    if (c != kNoLabel && closer(v, c, best[r], best_label[r])) {
                        best[r] = v;
                        best_label[r] = c;
                    }
                }
        }
    }
    if (g == 0) {
        for (int r = 0; r < kPointsPerThread; ++r) {
            const long long i = point0 + lane + kLanes * r;
            if (i < n) {
                labels[i] = best_label[r];
                dist[i] = best[r];
            }
        }
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
