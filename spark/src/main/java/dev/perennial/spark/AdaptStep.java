/*
 * One ADAPT-∞ step as a Spark job (docs/methods/adapt-inf.md Appendix A; docs/architecture.md, "ADAPT-∞ on Spark"):
 *
 *   score    ScoreStage: executors score the pool's partitions -> OUT/pool.parquet; the driver streams it into
 *            `perennial score`'s files (ScoreFiles: vectors.npy, vectors.pnvec, NAME.npy, records.json)
 *   cluster  MllibClustering: MLlib k-means (k-means||, seeded) over the valid vectors -> labels (−1: invalid)
 *   select   ClusterwiseStep with SparkClusterRunner: per cluster, on the executors, the expert by entropy, CCS and
 *   + prune  (with --prune-to) permanent pruning, the code `perennial select` runs, with select's expert order (the
 *            scorers by name: ties go to the earlier name); the driver writes select's
 *            files through StepFolder (labels.npy, centroids.npy, selected_ids.json, report.json, report.png,
 *            kept_ids.json, ...)
 *
 * The output folder must not hold a previous run's pool.parquet (a clear error; use a new folder).
 */
package dev.perennial.spark;

import dev.perennial.select.ClusterwiseStep;
import dev.perennial.select.PoolStep;
import dev.perennial.select.StepConfig;
import dev.perennial.select.StepFolder;
import dev.perennial.select.StepReport;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Runs one ADAPT-∞ step (score, cluster, select, prune) on a Spark session. */
final class AdaptStep {
    /** What the step did, for the summary line. */
    record Result(ScoreStage.Result scoring, PoolStep.Outcome outcome, StepReport report, double clusterSeconds, double selectSeconds) {}

    private AdaptStep() {}

    static Result run(SparkSession spark, List<Path> data, ScoreSettings scoring, SelectSettings selection, int groupsPerPartition,
                      int maxIter, Path out) throws IOException {
        for (Path f : data) if (!Files.isRegularFile(f)) throw new java.nio.file.NoSuchFileException(f.toString());
        Path parquet = out.resolve("pool.parquet");
        if (Files.exists(parquet)) throw new IllegalArgumentException(out + " already holds a pool.parquet: use a new --out folder");
        Files.createDirectories(out);

        ScoreStage.Result scored = ScoreStage.run(spark, data, scoring, groupsPerPartition, parquet);
        int n = Math.toIntExact(scored.rows());
        ScoreFiles.Columns columns = ScoreFiles.write(spark, parquet, scoring.scorers(), n, scored.vectorDim(), out);

        long t0 = System.nanoTime();
        Dataset<Row> pool = spark.read().parquet(parquet.toString());
        PoolStep.Clustering clustering = MllibClustering.fit(pool, n, selection.clusters(), selection.seed(), maxIter);
        double clusterSeconds = (System.nanoTime() - t0) / 1e9;

        t0 = System.nanoTime();
        StepConfig config = selection.config();
        // the expert order is `perennial select`'s: its score files by name (ties go to the earlier name)
        List<String> experts = scoring.scorers().stream().sorted().toList();
        Map<String, float[]> scores = new LinkedHashMap<>();
        for (String name : experts) scores.put(name, columns.scores().get(name));
        PoolStep.Outcome outcome = ClusterwiseStep.run(clustering, scores, config, 0,
                new SparkClusterRunner(pool, clustering.labels(), experts, selection));
        StepFolder folder = new StepFolder(out);
        folder.saveClustering(clustering);
        folder.saveSelection(outcome.selection());
        folder.savePruning(outcome.pruning());
        StepReport report = StepReport.of(outcome, config, experts, null);
        folder.saveReport(report);
        return new Result(scored, outcome, report, clusterSeconds, (System.nanoTime() - t0) / 1e9);
    }
}
