/*
 * kmeans_assign.h — C ABI of the k-means assignment step of ADAPT-∞'s pseudo-task clustering (kmeans_assign.cu;
 * docs/methods/adapt-inf.md §3), the device form of dev.perennial.cluster.KMeansAssignment:
 *
 *   dist[i]  = min_k Σ_j (x[i, j] - centroids[k, j])²      (squared Euclidean, computed from the differences,
 *   labels[i] = the k attaining it                          so it is >= 0 without clamping)
 *
 * Rule shared with the Java reference: ties go to the lower centroid index; a NaN distance ranks after every
 * number (+inf included), so a centroid containing NaN never beats a non-NaN distance and a point containing NaN
 * gets label 0 and dist NaN.
 * x [n, d], centroids [K, d], labels [n] (int32), dist [n]: contiguous fp32 device pointers (host pointers on
 * the emulated device). Limits: n >= 0, d >= 1, K >= 1; n = 0 returns 0 without launching. Returns a
 * cudaError_t as int: 0, 1 (cudaErrorInvalidValue) for bad sizes, or the launch error.
 */
#ifndef PN_KMEANS_ASSIGN_H
#define PN_KMEANS_ASSIGN_H

#ifdef __cplusplus
extern "C" {
#endif

int pn_kmeans_assign(const float* x /* [n, d] */, const float* centroids /* [K, d] */, int n, int d, int K,
                     int* labels /* [n] */, float* dist /* [n] */, void* stream);

#ifdef __cplusplus
}
#endif

#endif
