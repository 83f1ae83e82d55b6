/*
 * The assignment step of k-means (every point to its nearest centroid; KMeansAssignment's rule: ties to the lower
 * index, NaN distances last) as an op (docs/architecture.md, "Ops with a home"). CudaBackend registers the
 * kmeans_assign kernel; KMeans.fit on such a backend assigns each chunk of points there. Elsewhere there is no
 * fallback object: KMeans runs its own EXACT or GEMM host paths.
 */
package dev.perennial.cluster;

import dev.perennial.tensor.Op;
import dev.perennial.tensor.Tensor;

/**
 * An {@link Op} for the k-means assignment step on a backend: x {@code [n, d]} and centroids {@code [K, d]} (F32) give
 * every point's label {@code [n]} and squared distance {@code [n]} by {@link KMeansAssignment}'s rule. Only a backend's
 * kernel implements it; elsewhere there is none and KMeans runs its own host paths.
 * <p>Thread-safety is the implementation's: the one implementation is CudaBackend's {@code kmeans_assign} kernel
 * (perennial-native).
 */
@FunctionalInterface
public interface NearestCentroids {
    /** The op: a backend's kernel, else none (KMeans's host assignment). */
    Op<NearestCentroids> OP = Op.declare("kmeansAssign", NearestCentroids.class, be -> null);

    /** x [n, d], centroids [K, d] (F32) -> every point's label and squared distance. */
    KMeansAssignment.Assignment assign(Tensor x, Tensor centroids);
}
