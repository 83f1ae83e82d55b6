/*
 * The adapt-step job across two executor JVMs (Spark's local-cluster master: a standalone master and two workers in
 * this JVM, each worker starting its executor as a separate java process with this test's class path), with a
 * fault: the first attempt of score task 1 halts its executor JVM mid-task (Runtime.halt, as kill -9). The task is
 * retried on a new executor; pool.parquet then holds every pool row exactly once, the vectors and scores equal a
 * local[2] run's (one executor, the driver's), and so do the MLlib labels, the selection and the pruning. Tasks ran
 * on at least two executor JVMs (task-end events).
 */
package dev.perennial.spark;

import dev.perennial.io.Npy;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

class AdaptStepClusterTest {
    @TempDir
    Path dir;

    @Test
    void twoExecutorJvmsAndAKilledExecutor() throws Exception {
        SparkPool pool = new SparkPool(dir);
        Files.createDirectories(Path.of(System.getenv("SPARK_HOME")).resolve("jars"));
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        SparkSession spark = SparkSession.builder().master("local-cluster[2,1,1024]").appName("AdaptStepClusterTest")
                .config("spark.executor.extraClassPath", classPath)
                .config("spark.driver.extraClassPath", classPath)
                .config("spark.executor.extraJavaOptions", "-Xss4m")
                .getOrCreate();
        Set<String> executors = ConcurrentHashMap.newKeySet();
        AtomicInteger lost = new AtomicInteger();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd e) {
                executors.add(e.taskInfo().executorId());
                if (e.reason() instanceof org.apache.spark.ExecutorLostFailure) lost.incrementAndGet();
            }
        });
        Path out = dir.resolve("cluster");
        try {
            spark.sparkContext().setLocalProperty(PartitionScorer.KILL_PARTITION, "1");
            ScoreSettings scoring = new ScoreSettings(SparkPool.MODEL.toString(), SparkPool.TOKENIZER.toString(), pool.images.toString(),
                    List.of(SparkPool.SCORERS), 32, 0, null, 8, false, 200, "vicuna_v1", 2);
            AdaptStep.Result r = AdaptStep.run(spark, List.of(pool.first, pool.second), scoring, new SelectSettings(5, 3, 0, 10, false), 1,
                    MllibClustering.DEFAULT_MAX_ITER, out);
            spark.sparkContext().setLocalProperty(PartitionScorer.KILL_PARTITION, null);
            assertEquals(SparkPool.N, r.scoring().rows());
            assertTrue(lost.get() >= 1, "the halted executor's task was reported lost");
            assertTrue(executors.size() >= 2, "tasks ran on executors " + executors);
            List<Row> rows = spark.read().parquet(out.resolve("pool.parquet").toString()).select(PoolRows.ROW).collectAsList();
            assertEquals(SparkPool.N, rows.size(), "one row per sample, no duplicate");
            assertEquals(SparkPool.N, rows.stream().map(x -> x.getLong(0)).distinct().count(), "no row missing or repeated");
        } finally {
            spark.stop();
        }
        Path local = dir.resolve("local");
        assertEquals(0, PerennialSpark.execute(pool.adaptStep("local[2]", local)));
        AdaptStepLocalTest.assertClose(local.resolve("vectors.npy"), out.resolve("vectors.npy"), 1e-5);
        for (String s : SparkPool.SCORERS) AdaptStepLocalTest.assertClose(local.resolve(s + ".npy"), out.resolve(s + ".npy"), 1e-5);
        // MLlib's partitioning depends only on N, not on the executors that read pool.parquet: same labels, same selection
        assertArrayEquals(Npy.read(local.resolve("labels.npy")).toLongArray(), Npy.read(out.resolve("labels.npy")).toLongArray(), "labels");
        for (String f : List.of("selected_ids.json", "kept_ids.json")) {
            assertArrayEquals(AdaptStepLocalTest.ints(local.resolve(f)), AdaptStepLocalTest.ints(out.resolve(f)), f);
        }
    }
}
