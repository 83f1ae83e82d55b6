/*
 * The score stage's task: scores one partition of the pool (PoolPartitions.Part) on an executor. It reads the
 * partition's samples from their files (skipping to its first sample of each file), cuts them into the projection
 * groups `perennial score` forms (the partition starts on a group boundary), scores each group with the executor's
 * shared model (ExecutorModels, under its lock) and returns the pool rows (PoolRows). A task that is retried — its
 * executor was lost, or it failed — recomputes the same rows, and Spark's output commit keeps one attempt's rows.
 *
 * Fault injection for the retry test: when the job's local property perennial.spark.kill-partition names this
 * partition, its first attempt halts its executor JVM (as kill -9 would) after scoring its first group.
 */
package dev.perennial.spark;

import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.select.RowScorer;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Scores one partition of the pool into pool rows. */
final class PartitionScorer {
    static final String KILL_PARTITION = "perennial.spark.kill-partition";

    private PartitionScorer() {}

    static List<Row> score(PoolPartitions.Part part, ScoreSettings settings) {
        ExecutorModels.Scoring scoring = ExecutorModels.get(settings);
        List<RowScorer.Pending> samples = read(part);
        List<Row> out = new ArrayList<>(samples.size());
        TaskContext task = TaskContext.get();
        boolean kill = task != null && task.attemptNumber() == 0 && String.valueOf(part.index()).equals(task.getLocalProperty(KILL_PARTITION));
        for (int g = 0; g < samples.size(); g += scoring.group) {
            List<RowScorer.Pending> group = samples.subList(g, Math.min(samples.size(), g + scoring.group));
            List<RowScorer.Row> rows;
            synchronized (scoring) {
                rows = scoring.rows.score(group);
            }
            for (int i = 0; i < rows.size(); i++) out.add(PoolRows.toRow(part.firstRow() + g + i, rows.get(i)));
            if (kill) Runtime.getRuntime().halt(137);
        }
        return out;
    }

    private static List<RowScorer.Pending> read(PoolPartitions.Part part) {
        List<RowScorer.Pending> samples = new ArrayList<>(part.rows());
        for (PoolPartitions.Slice s : part.slices()) {
            try (LlavaJsonReader reader = LlavaJsonReader.open(Path.of(s.file()), InvalidSamples.SKIP)) {
                for (int i = 0; i < s.skip(); i++) {
                    if (reader.read() == null) throw new IllegalStateException(s.file() + " has fewer samples than when it was counted");
                }
                for (int i = 0; i < s.take(); i++) {
                    LlavaSample sample = reader.read();
                    if (sample == null) throw new IllegalStateException(s.file() + " has fewer samples than when it was counted");
                    samples.add(new RowScorer.Pending(s.file(), sample));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return samples;
    }
}
