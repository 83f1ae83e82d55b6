/*
 * A measurement, not a test (docs/performance.md, "ADAPT-∞ on Spark"): k-means on N vectors of dimension d in K
 * planted groups (unit-variance noise around Gaussian centres of per-coordinate SD 3; each point's noise seeded by its
 * row, so the Spark executors make the same points as the driver), through MLlib on a local[T] Spark session
 * (MllibClustering: k-means||, up to 50 Lloyd iterations) and through core's single-machine KMeans (mini-batch, the
 * select default, and full Lloyd), each timed end to end and scored by its inertia on all points.
 * Run (the bundled jar, with its manifest's --add-opens given on the command line as spark.jdkArgs in spark/pom.xml):
 * java $SPARK_JDK_ARGS -cp spark/target/perennial-spark.jar:spark/target/test-classes dev.perennial.spark.KMeansComparison N d K T
 */
package dev.perennial.spark;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.cluster.KMeans;
import dev.perennial.select.PoolStep;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

public final class KMeansComparison {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]), d = Integer.parseInt(args[1]), k = Integer.parseInt(args[2]), threads = Integer.parseInt(args[3]);
        SplittableRandom rng = new SplittableRandom(1);
        float[][] centres = new float[k][d];
        for (float[] c : centres) for (int j = 0; j < d; j++) c[j] = (float) (rng.nextGaussian() * 3);
        float[] data = new float[n * d];
        for (int i = 0; i < n; i++) System.arraycopy(point(i, centres), 0, data, i * d, d);
        InMemoryVectors vectors = new InMemoryVectors(data, n, d);

        for (KMeans.Variant variant : List.of(KMeans.Variant.MINI_BATCH, KMeans.Variant.LLOYD)) {
            long t0 = System.nanoTime();
            KMeans.Result r = KMeans.fit(vectors, KMeans.Config.of(k).withVariant(variant).withSeed(0));
            report("core KMeans " + variant, t0, inertia(vectors, r.labels(), k));
        }

        SparkSession spark = SparkSession.builder().master("local[" + threads + "]").appName("KMeansComparison").getOrCreate();
        try {
            // the same points, made on the executors (a driver-side List<Row> of 200k × 1024 would travel in the tasks)
            StructType schema = DataTypes.createStructType(List.of(
                    DataTypes.createStructField(PoolRows.ROW, DataTypes.LongType, false),
                    DataTypes.createStructField(PoolRows.VECTOR, DataTypes.createArrayType(DataTypes.FloatType, false), false)));
            Dataset<Row> pool = spark.range(0, n, 1, threads * 4)
                    .map((MapFunction<Long, Row>) i -> RowFactory.create(i, point(i, centres)), Encoders.row(schema)).cache();
            long t0 = System.nanoTime();
            pool.count();
            report("Spark: make and cache the " + n + " rows", t0, Double.NaN);
            t0 = System.nanoTime();
            PoolStep.Clustering c = MllibClustering.fit(pool, n, k, 0, MllibClustering.DEFAULT_MAX_ITER);
            report("MLlib KMeans (k-means||, " + c.iterations() + " iterations)", t0, inertia(vectors, c.labels(), k));
        } finally {
            spark.stop();
        }
    }

    /** Point i: its group's centre (i mod K) plus unit Gaussian noise drawn from a generator seeded by i. */
    static float[] point(long i, float[][] centres) {
        float[] c = centres[(int) (i % centres.length)], p = new float[c.length];
        SplittableRandom noise = new SplittableRandom(0x9E3779B97F4A7C15L * (i + 1));
        for (int j = 0; j < p.length; j++) p[j] = c[j] + (float) noise.nextGaussian();
        return p;
    }

    private static void report(String what, long t0, double inertia) {
        System.out.printf(Locale.ROOT, "%-45s %8.1f s   inertia per point %.4f%n", what, (System.nanoTime() - t0) / 1e9, inertia);
    }

    /** Inertia per point of a labelling, with each cluster's mean as its centre. */
    private static double inertia(InMemoryVectors v, int[] labels, int k) {
        int n = v.size(), d = v.dim();
        double[][] sum = new double[k][d];
        long[] count = new long[k];
        float[] row = new float[d];
        for (int i = 0; i < n; i++) {
            v.read(i, row);
            count[labels[i]]++;
            for (int j = 0; j < d; j++) sum[labels[i]][j] += row[j];
        }
        double total = 0;
        for (int i = 0; i < n; i++) {
            v.read(i, row);
            for (int j = 0; j < d; j++) {
                double diff = row[j] - sum[labels[i]][j] / count[labels[i]];
                total += diff * diff;
            }
        }
        return total / n;
    }
}
