/*
 * The score stage of the Spark job: the pool's partitions (PoolPartitions, whole projection groups) become one Spark
 * partition each; executors score them (PartitionScorer) and the rows are written as pool.parquet through Spark's
 * file commit protocol, so a retried task (a lost executor) leaves exactly one copy of its rows. The driver opens the
 * scoring model too, memory-mapped (ExecutorModels), only to know the projection group and the vector length
 * before the job starts.
 */
package dev.perennial.spark;

import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Runs the score stage: pool.parquet from the LLaVA-JSON files. */
final class ScoreStage {
    /** The stage's outcome: N, the vector length, the partitions scored. */
    record Result(long rows, int vectorDim, int partitions, double seconds) {}

    private ScoreStage() {}

    /**
     * @param groupsPerPartition projection groups per Spark partition; 0: enough partitions for two per core
     */
    static Result run(SparkSession spark, List<Path> data, ScoreSettings settings, int groupsPerPartition, Path poolParquet) throws IOException {
        long t0 = System.nanoTime();
        ExecutorModels.Scoring driverSide = ExecutorModels.get(settings);
        long[] counts = PoolPartitions.count(data);
        long total = 0;
        for (long c : counts) total += c;
        if (total == 0) throw new IllegalArgumentException("--data " + data + " holds no LLaVA sample");
        int group = driverSide.group;
        long groups = (total + group - 1) / group;
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        int perPart = groupsPerPartition > 0 ? groupsPerPartition
                : (int) Math.max(1, (groups + 2L * jsc.defaultParallelism() - 1) / (2L * jsc.defaultParallelism()));
        List<PoolPartitions.Part> parts = PoolPartitions.cut(data, counts, group, perPart);
        JavaRDD<Row> rows = jsc.parallelize(parts, parts.size())
                .flatMap(p -> PartitionScorer.score(p, settings).iterator());
        Dataset<Row> pool = spark.createDataFrame(rows, PoolRows.schema(settings.scorers()));
        pool.write().mode(SaveMode.ErrorIfExists).parquet(poolParquet.toString());
        return new Result(total, driverSide.vectorDim, parts.size(), (System.nanoTime() - t0) / 1e9);
    }
}
