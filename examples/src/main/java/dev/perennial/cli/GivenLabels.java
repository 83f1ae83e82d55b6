/*
 * `perennial select --labels F.npy`: cluster labels computed elsewhere (perennial-spark's MLlib k-means writes them
 * as labels.npy), read and checked: int32 or int64 [N], each label −1 (an invalid sample, not clustered) or in
 * [0, K), where K is --clusters when given (it must exceed every label) or else the largest label + 1. A row whose
 * vector has NaN or ±∞ must have label −1 (PoolStep's rule for invalid samples). The clustering recorded for such a
 * run has the clusters' means as centroids, their inertia, and 0 iterations.
 */
package dev.perennial.cli;

import dev.perennial.cluster.VectorSource;
import dev.perennial.io.Npy;
import dev.perennial.select.PoolStep;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/** Reads and checks a --labels file and turns it into the clustering stage of a step. */
final class GivenLabels {
    private GivenLabels() {}

    /** The labels of {@code file}, checked against the pool of n samples and (when not null) K. */
    static int[] read(Path file, int n, Integer clusters) throws IOException {
        long[] values;
        try (Tensor t = Npy.read(file)) {
            if (t.rank() != 1 || (t.dtype() != DType.I32 && t.dtype() != DType.I64)) {
                throw new IllegalArgumentException(file + ": expected cluster labels as int32 or int64 [N], got " + t.dtype() + " " + Arrays.toString(t.shape()));
            }
            if (t.size(0) != n) throw new IllegalArgumentException(file + " has " + t.size(0) + " labels, the vectors have " + n + " rows");
            values = t.toLongArray();
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            long l = values[i];
            if (l < -1 || (clusters != null && l >= clusters) || l > Integer.MAX_VALUE - 1) {
                throw new IllegalArgumentException(file + ": label " + l + " of row " + i + " is not −1 (invalid) nor in [0, "
                        + (clusters == null ? "K" : clusters) + ")");
            }
            labels[i] = (int) l;
        }
        if (Arrays.stream(labels).allMatch(l -> l < 0)) throw new IllegalArgumentException(file + ": every label is −1: no cluster to select from");
        return labels;
    }

    /** K: {@code clusters} when given, else the largest label + 1. */
    static int clusters(int[] labels, Integer clusters) {
        return clusters != null ? clusters : Arrays.stream(labels).max().orElse(-1) + 1;
    }

    /** The clustering of the given labels: the clusters' means as centroids (zeros for an empty one) and their inertia. */
    static PoolStep.Clustering clustering(int[] labels, int clusters, VectorSource vectors) {
        int d = vectors.dim();
        double[][] sum = new double[clusters][d];
        long[] count = new long[clusters];
        float[] row = new float[d];
        for (int i = 0; i < labels.length; i++) {
            vectors.read(i, row);
            boolean finite = true;
            for (float x : row) finite &= Float.isFinite(x);
            if (labels[i] < 0) continue;
            if (!finite) throw new IllegalArgumentException("row " + i + "'s vector has NaN or infinite values but label " + labels[i] + ": an invalid sample must have label −1");
            count[labels[i]]++;
            for (int j = 0; j < d; j++) sum[labels[i]][j] += row[j];
        }
        float[][] centroids = new float[clusters][d];
        for (int c = 0; c < clusters; c++) for (int j = 0; j < d; j++) centroids[c][j] = count[c] == 0 ? 0f : (float) (sum[c][j] / count[c]);
        double inertia = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0) continue;
            vectors.read(i, row);
            for (int j = 0; j < d; j++) {
                double diff = row[j] - centroids[labels[i]][j];
                inertia += diff * diff;
            }
        }
        return new PoolStep.Clustering(clusters, labels, centroids, inertia, 0, true, List.of());
    }
}
