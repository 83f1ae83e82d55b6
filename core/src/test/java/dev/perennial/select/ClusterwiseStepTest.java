/*
 * ClusterwiseStep (selection and pruning one cluster at a time, the form perennial-spark distributes) gives exactly
 * PoolStep.run's selection and pruning on the same labels: with invalid samples (NaN vectors, label −1), NaN scores,
 * pruning on and off, paper and CODE_COMPAT modes; clusters returned in any order assemble the same; a runner that
 * loses a cluster is an error.
 */
package dev.perennial.select;

import dev.perennial.cluster.InMemoryVectors;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class ClusterwiseStepTest {
    private static final int N = 90, D = 6;

    /** Three planted groups, rows 5 and 40 NaN (invalid); three scorers, a few NaN scores. */
    private static InMemoryVectors vectors() {
        Random r = new Random(3);
        float[] data = new float[N * D];
        for (int i = 0; i < N; i++) {
            for (int j = 0; j < D; j++) data[i * D + j] = (float) ((j == i % 3 ? 5 : 0) + r.nextGaussian());
        }
        for (int j = 0; j < D; j++) {
            data[5 * D + j] = Float.NaN;
            data[40 * D + j] = Float.NaN;
        }
        return new InMemoryVectors(data, N, D);
    }

    private static Map<String, float[]> scores() {
        Random r = new Random(9);
        Map<String, float[]> s = new LinkedHashMap<>();
        for (String name : new String[]{"el2n", "ppl", "grand"}) {
            float[] v = new float[N];
            for (int i = 0; i < N; i++) v[i] = name.equals("ppl") ? (float) Math.exp(r.nextGaussian()) : (float) r.nextGaussian();
            s.put(name, v);
        }
        s.get("ppl")[7] = Float.NaN;
        s.get("el2n")[5] = Float.NaN;
        return s;
    }

    private static void assertSameStep(PoolStep.Outcome expected, PoolStep.Outcome actual) {
        assertArrayEquals(expected.selection().selected(), actual.selection().selected(), "selected");
        assertEquals(expected.selection().clusters(), actual.selection().clusters(), "cluster reports");
        assertEquals(expected.selection().nonFiniteScores(), actual.selection().nonFiniteScores(), "non-finite counts");
        assertEquals(expected.pruning().pruned(), actual.pruning().pruned());
        assertArrayEquals(expected.pruning().kept(), actual.pruning().kept(), "kept");
        assertArrayEquals(expected.pruning().redundancy(), actual.pruning().redundancy(), "redundancy");
        assertArrayEquals(expected.pruning().keepBudgets(), actual.pruning().keepBudgets(), "keep budgets");
    }

    private static void compare(StepConfig config) throws Exception {
        InMemoryVectors v = vectors();
        Map<String, float[]> s = scores();
        PoolStep.Outcome whole = PoolStep.run(v, s, config, 2, null, false, null);
        PoolStep.Clustering c = whole.clustering();
        assertEquals(-1, c.labels()[5]);
        PoolStep.Outcome byCluster = ClusterwiseStep.run(c, s, config, 2,
                ClusterwiseStep.local(v, c.labels(), c.clusters(), s, config, 2, new dev.perennial.tensor.CpuBackend()));
        assertSameStep(whole, byCluster);
        assertTrue(whole.selection().selected().length > 0);
    }

    @Test
    void equalsPoolStepWithPruning() throws Exception {
        compare(StepConfig.defaults(20, 3).withPoolCap(50).withSeed(11));
    }

    @Test
    void equalsPoolStepWithoutPruning() throws Exception {
        compare(StepConfig.defaults(25, 4).withSeed(1));
    }

    @Test
    void equalsPoolStepInCodeCompatModes() throws Exception {
        compare(StepConfig.defaults(20, 3).withPoolCap(60).withSeed(5).codeCompat());
    }

    @Test
    void clustersInAnyOrderAssembleTheSame() throws Exception {
        InMemoryVectors v = vectors();
        Map<String, float[]> s = scores();
        StepConfig config = StepConfig.defaults(20, 3).withPoolCap(50).withSeed(11);
        PoolStep.Clustering c = PoolStep.run(v, s, config, 0, null, false, null).clustering();
        ClusterwiseStep.Runner local = ClusterwiseStep.local(v, c.labels(), c.clusters(), s, config, 0, new dev.perennial.tensor.CpuBackend());
        PoolStep.Outcome inOrder = ClusterwiseStep.run(c, s, config, 0, local);
        PoolStep.Outcome shuffled = ClusterwiseStep.run(c, s, config, 0, (b, keep) -> {
            List<ClusterwiseStep.ClusterResult> r = new ArrayList<>(local.run(b, keep));
            Collections.reverse(r);
            return r;
        });
        assertSameStep(inOrder, shuffled);
        IllegalStateException lost = assertThrows(IllegalStateException.class,
                () -> ClusterwiseStep.run(c, s, config, 0, (b, keep) -> local.run(b, keep).subList(1, c.clusters())));
        assertTrue(lost.getMessage().contains("returned nothing for cluster 0"), lost.getMessage());
    }
}
