/*
 * The select-and-prune stage of the Spark job: a ClusterwiseStep.Runner whose clusters are grouped on the executors.
 * The driver broadcasts the labels; each executor reads its part of pool.parquet, keys every valid row by its
 * cluster, and after the shuffle runs ClusterwiseStep.runCluster on each cluster's members sorted by pool position
 * (the order `perennial select` gives them), with the budgets the driver computed from all clusters' sizes. Only the
 * results come back: selected and kept positions, redundancies and the cluster's report. A cluster's result thus does
 * not depend on where it ran; the memory an executor needs is one cluster's vectors (docs/architecture.md,
 * "ADAPT-∞ on Spark").
 */
package dev.perennial.spark;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.select.ClusterwiseStep;
import dev.perennial.select.MultiWaySelection;
import dev.perennial.select.PermanentPruning;
import dev.perennial.select.Selection;
import dev.perennial.tensor.CpuBackend;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** ClusterwiseStep's clusters, grouped and worked on by Spark executors. */
final class SparkClusterRunner implements ClusterwiseStep.Runner {
    /** One pool row as a cluster's member. */
    record Member(long row, float[] scores, float[] vector) implements Serializable {}

    /** ClusterwiseStep.ClusterResult in a serializable form. */
    record Outcome(int cluster, int[] members, int[] selected, Integer budget, String expert, LinkedHashMap<String, Double> entropies,
                   int eligible, int selectedCount, int[] kept, float[] redundancy) implements Serializable {
        static Outcome of(ClusterwiseStep.ClusterResult r) {
            Selection.ClusterReport c = r.pick().report();
            return new Outcome(r.cluster(), r.members(), r.pick().selected(), c.budget(), c.expert(), new LinkedHashMap<>(c.entropyBits()),
                    c.eligible(), c.selected(), r.keep() == null ? null : r.keep().kept(), r.keep() == null ? null : r.keep().redundancy());
        }

        ClusterwiseStep.ClusterResult result() {
            Selection.ClusterReport c = new Selection.ClusterReport(cluster, members.length, budget, expert,
                    java.util.Collections.unmodifiableMap(entropies), eligible, selectedCount);
            return new ClusterwiseStep.ClusterResult(cluster, members, new MultiWaySelection.ClusterPick(selected, c),
                    kept == null ? null : new PermanentPruning.ClusterKeep(kept, redundancy));
        }
    }

    private final Dataset<Row> pool;
    private final int[] labels;
    private final List<String> scorers;
    private final SelectSettings settings;

    /**
     * @param pool    pool table (row, vector, one column per scorer)
     * @param labels  [N] cluster of every row, −1 for invalid rows
     * @param scorers the scorer columns, in the expert order
     */
    SparkClusterRunner(Dataset<Row> pool, int[] labels, List<String> scorers, SelectSettings settings) {
        this.pool = pool;
        this.labels = labels;
        this.scorers = List.copyOf(scorers);
        this.settings = settings;
    }

    @Override
    public List<ClusterwiseStep.ClusterResult> run(int[] selectBudgets, int[] keepBudgets) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(pool.sparkSession().sparkContext());
        Broadcast<int[]> labelsB = jsc.broadcast(labels);
        List<String> names = scorers;
        SelectSettings s = settings;
        List<String> columns = new ArrayList<>(List.of(PoolRows.ROW, PoolRows.VECTOR));
        columns.addAll(names);
        Dataset<Row> table = pool.selectExpr(columns.stream().map(c -> "`" + c + "`").toArray(String[]::new));
        int partitions = Math.max(1, Math.min(settings.clusters(), jsc.defaultParallelism() * 2));
        List<Outcome> outcomes = table.javaRDD()
                .mapToPair(r -> {
                    long row = r.getLong(0);
                    float[] sc = new float[names.size()];
                    for (int j = 0; j < sc.length; j++) sc[j] = r.getFloat(2 + j);
                    return new Tuple2<>(labelsB.value()[(int) row], new Member(row, sc, PoolRows.vector(r)));
                })
                .filter(t -> t._1() >= 0)
                .groupByKey(partitions)
                .map(t -> Outcome.of(runCluster(t._1(), t._2(), names, selectBudgets, keepBudgets, s)))
                .collect();
        labelsB.destroy();
        List<ClusterwiseStep.ClusterResult> out = new ArrayList<>();
        for (Outcome o : outcomes) out.add(o.result());
        return out;
    }

    /** One cluster on an executor: its members in pool order, then ClusterwiseStep.runCluster. */
    static ClusterwiseStep.ClusterResult runCluster(int k, Iterable<Member> grouped, List<String> names, int[] selectBudgets,
                                                    int[] keepBudgets, SelectSettings settings) {
        List<Member> members = new ArrayList<>();
        grouped.forEach(members::add);
        members.sort(Comparator.comparingLong(Member::row));
        int m = members.size(), d = members.isEmpty() ? 0 : members.get(0).vector().length;
        int[] positions = new int[m];
        float[] vectors = new float[m * d];
        Map<String, float[]> scores = new LinkedHashMap<>();
        for (String name : names) scores.put(name, new float[m]);
        for (int i = 0; i < m; i++) {
            Member x = members.get(i);
            positions[i] = (int) x.row();
            System.arraycopy(x.vector(), 0, vectors, i * d, d);
            for (int j = 0; j < names.size(); j++) scores.get(names.get(j))[i] = x.scores()[j];
        }
        return ClusterwiseStep.runCluster(k, positions, scores, new InMemoryVectors(vectors, m, d), selectBudgets[k],
                keepBudgets == null ? -1 : keepBudgets[k], settings.config(), 0, new CpuBackend());
    }
}
