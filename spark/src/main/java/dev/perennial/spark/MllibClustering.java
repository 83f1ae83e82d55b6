/*
 * The cluster stage of the Spark job: k-means over the valid pool vectors with Spark MLlib (org.apache.spark.ml
 * KMeans, k-means|| initialisation, seeded by --seed), distributed over the executors. Invalid rows (score's
 * invalid samples, or any vector with NaN or ±∞) are left out and get label −1, as PoolStep does.
 *
 * Why MLlib and not core's KMeans distributed: MLlib's k-means|| initialisation and Lloyd iterations are already
 * data-parallel (one pass over the executors' cached vectors per iteration, centroids aggregated on the driver), and
 * it needs nothing from us; core's KMeans (k-means++ over a sample, then mini-batch epochs) is a single-machine
 * algorithm whose mini-batches are sequential, so distributing it would mean rewriting it. The measured comparison
 * on 200k × 1024 is in docs/performance.md ("ADAPT-∞ on Spark"). The labels MLlib gives are not those core's
 * k-means gives; `perennial select --labels` takes them to reproduce the job's selection on one machine.
 */
package dev.perennial.spark;

import dev.perennial.select.PoolStep;
import org.apache.spark.ml.clustering.KMeans;
import org.apache.spark.ml.clustering.KMeansModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

import java.util.Arrays;
import java.util.List;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;

/** MLlib k-means over a pool table's valid vectors. */
final class MllibClustering {
    /** Lloyd iterations at most (MLlib's default is 20). */
    static final int DEFAULT_MAX_ITER = 50;

    private MllibClustering() {}

    /** The rows of {@code pool} (columns row, vector) whose vector is finite, with a "features" ML vector column. */
    static Dataset<Row> features(Dataset<Row> pool) {
        return pool.filter(expr("NOT exists(" + PoolRows.VECTOR + ", x -> isnan(x) OR abs(x) = double('inf'))"))
                .select(col(PoolRows.ROW), org.apache.spark.ml.functions.array_to_vector(col(PoolRows.VECTOR)).as("features"));
    }

    /**
     * Clusters the finite vectors of a pool of n rows into K clusters.
     * @param pool table with columns row (0..n−1) and vector
     */
    static PoolStep.Clustering fit(Dataset<Row> pool, int n, int clusters, long seed, int maxIter) {
        // k-means|| draws per partition: a partitioning that depends only on N (hash of the row, sorted within) makes
        // the labels independent of how many executors read pool.parquet (measured: they differed between 1 and 2)
        int partitions = (int) Math.min(64, Math.max(1, (n + 4095L) / 4096));
        Dataset<Row> features = features(pool).repartition(partitions, col(PoolRows.ROW)).sortWithinPartitions(PoolRows.ROW).cache();
        try {
            return fitCached(features, n, clusters, seed, maxIter);
        } finally {
            features.unpersist();
        }
    }

    private static PoolStep.Clustering fitCached(Dataset<Row> features, int n, int clusters, long seed, int maxIter) {
        long valid = features.count();
        if (valid == 0) throw new IllegalArgumentException("every one of the " + n + " vectors is invalid (NaN or infinite): nothing to cluster");
        if (clusters > valid) {
            throw new IllegalArgumentException("K = " + clusters + " exceeds the pool of " + valid + " samples with finite vectors: K must not exceed N");
        }
        KMeansModel model = new KMeans().setK(clusters).setSeed(seed).setInitMode("k-means||").setMaxIter(maxIter)
                .setFeaturesCol("features").setPredictionCol("label")
                // a projection of the cached table, itself not cached: MLlib then persists the vectors it converts once;
                // given a cached Dataset it converts the rows again on every pass (measured: 40 to 110 s a pass on
                // 200k x 1024 against 0.4 to 6 s)
                .fit(features.select("features"));
        int[] labels = new int[n];
        Arrays.fill(labels, -1);
        List<Row> assigned = model.transform(features).select(PoolRows.ROW, "label").collectAsList();
        for (Row r : assigned) labels[(int) r.getLong(0)] = r.getInt(1);
        Vector[] centers = model.clusterCenters();
        float[][] centroids = new float[clusters][];
        for (int k = 0; k < clusters; k++) {
            double[] c = k < centers.length ? centers[k].toArray() : new double[centers[0].size()];
            centroids[k] = new float[c.length];
            for (int j = 0; j < c.length; j++) centroids[k][j] = (float) c[j];
        }
        int iterations = model.summary().numIter();
        return new PoolStep.Clustering(clusters, labels, centroids, model.summary().trainingCost(), iterations, iterations < maxIter, List.of());
    }
}
