/*
 * An optional choice of the number of pseudo-task clusters K (docs/methods/adapt-inf.md §3). The official code fixes K
 * (default 10) and only prints a "WSS" (Σ‖x − c‖, not squared) with the silhouette commented out, which suggests
 * K was read off an elbow; how the paper chose K is unverified. This fits k-means for every K in a range and
 * returns the whole table, so callers can log it, and two choices:
 *
 *  - silhouette (Rousseeuw 1987) on a seeded sample of the points, Euclidean, with the labels of the full fit:
 *    s_i = (b_i − a_i) / max(a_i, b_i), a_i = mean distance to the other sampled members of its cluster,
 *    b_i = the smallest mean distance to the sampled members of another cluster; s_i = 0 for a point alone in
 *    its cluster (scikit-learn's convention); NaN when the sample holds fewer than two clusters. The choice is
 *    the largest mean silhouette (ties: the smaller K), or the elbow choice if no K has one.
 *  - elbow on WSS = inertia (Σ squared distances): K and WSS scaled to [0, 1] over the range, the choice is the
 *    K whose point lies farthest below the chord from the first to the last point (for a convex, decreasing
 *    curve that is the point of maximal curvature in the "kneedle" sense); ties and no point below the chord →
 *    the smaller K.
 */
package dev.perennial.select;

import dev.perennial.cluster.KMeans;
import dev.perennial.cluster.VectorSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Chooses the number of clusters K: fits k-means for every K in {@code kMin..kMax} on vectors {@code [N, d]} and
 * returns the table (inertia, sum of distances, mean silhouette on a seeded sample) with the K of the largest
 * silhouette and the K at the elbow of the inertia curve.
 * <p>Stateless; its static methods are safe to call from several threads (the {@code VectorSource} must allow
 * concurrent reads, as its contract says).
 */
public final class KChooser {
    private static final Logger log = LoggerFactory.getLogger(KChooser.class);

    private KChooser() {}

    /**
     * @param clusters       K
     * @param wss            inertia, Σ squared distances to the centroids
     * @param sumOfDistances Σ distances (the official "WSS")
     * @param silhouette     mean silhouette over the sample, NaN if undefined
     */
    public record Row(int clusters, double wss, double sumOfDistances, double silhouette) {}

    /** The table (ascending K) and both choices. */
    public record Choice(List<Row> table, int bySilhouette, int byElbow) {}

    /**
     * Fits k-means (config, with its K replaced) for K = kMin..kMax (2 ≤ kMin ≤ kMax ≤ N) and scores each.
     * @param silhouetteSample points the silhouette looks at (a seeded sample, seed = config.seed())
     */
    public static Choice choose(VectorSource data, KMeans.Config config, int kMin, int kMax, int silhouetteSample) {
        int n = data.size(), d = data.dim();
        if (kMin < 2 || kMax < kMin || kMax > n) {
            throw new IllegalArgumentException("need 2 <= kMin <= kMax <= N = " + n + ", got " + kMin + ".." + kMax);
        }
        if (silhouetteSample < 2) throw new IllegalArgumentException("silhouette sample must be >= 2, got " + silhouetteSample);
        int[] sample = sample(n, Math.min(n, silhouetteSample), new SplittableRandom(config.seed()));
        float[] distances = pairwiseDistances(data, sample, d);
        List<Row> table = new ArrayList<>();
        for (int k = kMin; k <= kMax; k++) {
            KMeans.Result fit = KMeans.fit(data, config.withClusters(k));
            int[] labels = new int[sample.length];
            for (int i = 0; i < sample.length; i++) labels[i] = fit.labels()[sample[i]];
            Row row = new Row(k, fit.inertia(), fit.sumOfDistances(), silhouette(distances, labels, k));
            table.add(row);
            log.info("K = {}: WSS {} (Σ distances {}), silhouette {}", k, row.wss(), row.sumOfDistances(), row.silhouette());
        }
        int byElbow = elbow(table);
        int bySilhouette = -1;
        double best = Double.NEGATIVE_INFINITY;
        for (Row row : table) {
            if (row.silhouette() > best) {
                best = row.silhouette();
                bySilhouette = row.clusters();
            }
        }
        if (bySilhouette < 0) bySilhouette = byElbow;
        log.info("K by silhouette: {}, by elbow: {}", bySilhouette, byElbow);
        return new Choice(List.copyOf(table), bySilhouette, byElbow);
    }

    /** The K farthest below the chord of the normalised (K, WSS) curve; ties and none below → smaller K. */
    static int elbow(List<Row> table) {
        int first = table.get(0).clusters(), last = table.get(table.size() - 1).clusters();
        double hi = table.stream().mapToDouble(Row::wss).max().orElseThrow();
        double lo = table.stream().mapToDouble(Row::wss).min().orElseThrow();
        double span = hi - lo;
        double y0 = span > 0 ? (table.get(0).wss() - lo) / span : 0;
        double y1 = span > 0 ? (table.get(table.size() - 1).wss() - lo) / span : 0;
        int choice = first;
        double bestGap = 0;
        for (Row row : table) {
            double x = last > first ? (double) (row.clusters() - first) / (last - first) : 0;
            double y = span > 0 ? (row.wss() - lo) / span : 0;
            double gap = (y0 + (y1 - y0) * x) - y;                       // chord minus curve
            if (gap > bestGap) {
                bestGap = gap;
                choice = row.clusters();
            }
        }
        return choice;
    }

    /** Mean silhouette of the sampled points given their labels and their (s, s) distance matrix. */
    static double silhouette(float[] distances, int[] labels, int k) {
        int s = labels.length;
        long[] count = new long[k];
        for (int l : labels) count[l]++;
        if (Arrays.stream(count).filter(c -> c > 0).count() < 2) return Double.NaN;
        double total = 0;
        double[] sum = new double[k];
        for (int i = 0; i < s; i++) {
            Arrays.fill(sum, 0);
            for (int j = 0; j < s; j++) sum[labels[j]] += distances[i * s + j];
            int own = labels[i];
            if (count[own] == 1) continue;                                 // s_i = 0
            double a = sum[own] / (count[own] - 1);                        // d(i, i) = 0 is in the sum
            double b = Double.POSITIVE_INFINITY;
            for (int c = 0; c < k; c++) if (c != own && count[c] > 0) b = Math.min(b, sum[c] / count[c]);
            double m = Math.max(a, b);
            if (m > 0) total += (b - a) / m;
        }
        return total / s;
    }

    /** Euclidean distances between the sampled points, (s, s). */
    private static float[] pairwiseDistances(VectorSource data, int[] sample, int d) {
        int s = sample.length;
        float[][] x = new float[s][d];
        for (int i = 0; i < s; i++) {
            data.readFinite(sample[i], x[i]);
        }
        float[] out = new float[s * s];
        for (int i = 0; i < s; i++) {
            for (int j = i + 1; j < s; j++) {
                double acc = 0;
                for (int c = 0; c < d; c++) {
                    double t = (double) x[i][c] - x[j][c];
                    acc += t * t;
                }
                out[i * s + j] = out[j * s + i] = (float) Math.sqrt(acc);
            }
        }
        return out;
    }

    /** m distinct positions of [0, n), ascending. */
    private static int[] sample(int n, int m, SplittableRandom rng) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        int[] out = CoverageCentricSampling.draw(all, m, rng);
        Arrays.sort(out);
        return out;
    }
}
