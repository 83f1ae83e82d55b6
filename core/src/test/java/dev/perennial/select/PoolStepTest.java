/*
 * PoolStep (docs/methods/adapt-inf.md Appendix A) on in-memory inputs, and the StepReport / StepChart it is summarised by:
 * the report's JSON fields agree with the outcome (sizes, budgets, experts, entropies, selected and kept counts,
 * NaN counts, modes); the chart is a PNG of the documented size; and the defined behaviours and errors of bad
 * input: empty clusters, NaN scores, a budget above N, K above N, scores of the wrong length, an empty pool, a K
 * range, pruning on and off.
 */
package dev.perennial.select;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.cluster.KMeans;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PoolStepTest {

    /** n points around `blobs` orthogonal directions of R^8 (point i in blob i % blobs). */
    private static InMemoryVectors blobs(int n, int blobs, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[][] rows = new float[n][8];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < 8; j++) rows[i][j] = (j == i % blobs ? 5f : 0f) + (float) rng.nextDouble() - 0.5f;
        }
        return new InMemoryVectors(rows);
    }

    private static Map<String, float[]> scores(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, float[]> s = new LinkedHashMap<>();
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rng.nextDouble();
            b[i] = (float) Math.exp(4 * rng.nextDouble());
        }
        s.put("el2n", a);
        s.put("ppl", b);
        return s;
    }

    @Test
    void reportFieldsDescribeTheOutcome() throws IOException {
        int n = 200;
        Map<String, float[]> scores = scores(n, 3);
        for (int i = 0; i < n; i += 20) scores.get("ppl")[i] = Float.NaN;             // 10 NaN
        scores.get("ppl")[1] = Float.POSITIVE_INFINITY;
        StepConfig config = StepConfig.defaults(40, 4).withPoolCap(120).withSeed(5);
        PoolStep.Outcome o = PoolStep.run(blobs(n, 4, 1), scores, config, 2, null, false, null);
        StepReport report = StepReport.of(o, config, List.copyOf(scores.keySet()), "m3it");
        JsonNode j = report.toJson();

        assertEquals(2, j.get("step").asInt());
        assertEquals("m3it", j.get("dataset").asText());
        assertEquals(n, j.get("pool_size").asInt());
        assertEquals(40, j.get("budget").asInt());
        assertEquals(40, j.get("selected").asInt());
        assertEquals("[\"el2n\",\"ppl\"]", j.get("scorers").toString());
        JsonNode modes = j.get("modes");
        assertEquals("MULTI_WAY", modes.get("strategy").asText());
        assertEquals("EXACT_WATERFILL", modes.get("budget_split").asText());
        assertEquals("STANDARDIZED", modes.get("entropy").asText());
        assertEquals("CCS_FIXED", modes.get("sampling").asText());
        assertEquals("MINI_BATCH", modes.get("kmeans").asText());
        assertFalse(modes.get("compat").asBoolean());
        assertFalse(modes.get("prune_before_selection").asBoolean());
        assertEquals(5, j.get("seeds").get("kmeans").asLong());
        assertEquals(11, j.get("nan_scores").get("ppl").asInt());
        assertEquals(0, j.get("nan_scores").get("el2n").asInt());
        assertEquals(4, j.get("clustering").get("k").asInt());
        assertEquals(0, j.get("clustering").get("k_choice").size());

        JsonNode clusters = j.get("clusters");
        assertEquals(4, clusters.size());
        int sizes = 0, selected = 0, kept = 0;
        for (int k = 0; k < 4; k++) {
            JsonNode c = clusters.get(k);
            assertEquals(k, c.get("id").asInt());
            assertEquals(50, c.get("size").asInt());                                 // the four blobs
            assertEquals(10, c.get("budget").asInt());
            assertEquals(30, c.get("kept").asInt());                                 // 120 split over 4
            String expert = c.get("expert").asText();
            JsonNode h = c.get("entropies");
            assertEquals(2, h.size());
            double best = Math.max(h.get("el2n").asDouble(), h.get("ppl").asDouble());
            assertEquals(best, h.get(expert).asDouble(), 0);                          // the expert has the largest entropy
            assertEquals(o.selection().clusters().get(k).entropyBits().get("ppl"), h.get("ppl").asDouble(), 0);
            int sel = c.get("selected").asInt();
            assertTrue(sel <= c.get("eligible").asInt());
            sizes += c.get("size").asInt();
            selected += sel;
            kept += c.get("kept").asInt();
        }
        assertEquals(n, sizes);
        assertEquals(40, selected);
        assertEquals(120, kept);
        JsonNode pruning = j.get("pruning");
        assertEquals(120, pruning.get("pool_cap").asInt());
        assertTrue(pruning.get("pruned").asBoolean());
        assertEquals(120, pruning.get("pool_after").asInt());
        assertEquals(80, pruning.get("removed").asInt());
        for (int p : o.selection().selected()) {                                     // NaN is never selected on its score
            String expert = o.selection().clusters().get(o.clustering().labels()[p]).expert();
            assertTrue(Float.isFinite(scores.get(expert)[p]), "sample " + p);
        }
    }

    @Test
    void chartIsAPngOfTheDocumentedSize() throws IOException {
        int n = 90;
        StepConfig config = StepConfig.defaults(30, 3).withPoolCap(60);
        PoolStep.Outcome o = PoolStep.run(blobs(n, 3, 2), scores(n, 4), config, 0, null, false, null);
        byte[] png = StepChart.png(StepReport.of(o, config, List.of("el2n", "ppl"), null));
        assertArrayEquals(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertEquals(StepChart.WIDTH, image.getWidth());
        assertEquals(StepChart.HEIGHT, image.getHeight());
    }

    /** Three distinct points and K = 5: k-means leaves clusters empty; they get no budget, no expert, nothing selected. */
    @Test
    void emptyClustersAreReportedWithNothingSelected() throws IOException {
        float[][] rows = new float[30][];
        for (int i = 0; i < 30; i++) rows[i] = new float[]{i % 3, (i % 3) * (i % 3), 1};
        StepConfig config = StepConfig.defaults(9, 5).withKMeans(KMeans.Config.of(5).withVariant(KMeans.Variant.LLOYD));
        PoolStep.Outcome o = PoolStep.run(new InMemoryVectors(rows), scores(30, 5), config, 0, null, false, null);
        StepReport report = StepReport.of(o, config, List.of("el2n", "ppl"), null);
        int empty = 0;
        for (StepReport.Cluster c : report.clusters()) {
            if (c.size() > 0) continue;
            empty++;
            assertEquals(0, c.budget());
            assertNull(c.expert());
            assertTrue(c.entropies().isEmpty());
            assertEquals(0, c.selected());
        }
        assertEquals(2, empty);
        assertEquals(5, report.clusters().size());
        for (JsonNode c : report.toJson().get("clusters")) {
            if (c.get("size").asInt() == 0) assertTrue(c.get("expert").isNull() && c.get("budget").asInt() == 0, c.toString());
        }
        assertEquals(9, report.selected());                                        // the 3 non-empty clusters share B
        StepChart.png(report);                                                      // renders with empty clusters
    }

    /** B > N: every cluster's budget is its size (EXACT_WATERFILL) and CCS takes every eligible member. */
    @Test
    void aBudgetAboveThePoolSelectsEveryEligibleSample() throws IOException {
        int n = 80;
        StepConfig config = StepConfig.defaults(500, 2);
        PoolStep.Outcome o = PoolStep.run(blobs(n, 2, 6), scores(n, 7), config, 0, null, false, null);
        int eligible = 0;
        for (Selection.ClusterReport c : o.selection().clusters()) {
            assertEquals(c.size(), c.budget());
            assertEquals(c.eligible(), c.selected());
            eligible += c.eligible();
        }
        assertEquals(eligible, o.selection().size());
        assertTrue(eligible < n && eligible >= 0.85 * n, "CCS leaves the 5% tails out: " + eligible);
        StepConfig fill = config.withSelection(config.selection().withSampling(config.selection().sampling().withFillFromTails(true)));
        assertEquals(n, PoolStep.run(blobs(n, 2, 6), scores(n, 7), fill, 0, null, false, null).selection().size());
    }

    @Test
    void badInputIsAClearError() {
        InMemoryVectors v = blobs(10, 2, 8);
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> PoolStep.run(v, scores(10, 1), StepConfig.defaults(5, 11), 0, null, false, null));
        assertEquals("K = 11 exceeds the pool of 10 samples: K must not exceed N", k.getMessage());
        IllegalArgumentException range = assertThrows(IllegalArgumentException.class, () -> PoolStep.run(v, scores(10, 1),
                StepConfig.defaults(5, 2).withChooseK(new StepConfig.KRange(2, 12)), 0, null, false, null));
        assertEquals("K range 2:12 exceeds the pool of 10 samples: K must not exceed N", range.getMessage());
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class,
                () -> PoolStep.run(v, scores(9, 1), StepConfig.defaults(5, 2), 0, null, false, null));
        assertEquals("scorer 'el2n' has 9 scores for 10 pool samples (one vector each)", len.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class, () -> PoolStep.run(
                new InMemoryVectors(new float[0], 0, 8), Map.of(), StepConfig.defaults(5, 2), 0, null, false, null));
        assertTrue(empty.getMessage().contains("the pool is empty"), empty.getMessage());
    }

    /** A K range picks K by silhouette from the table, and the clustering is the fit with that K. */
    @Test
    void aKRangeChoosesKBySilhouette() throws IOException {
        int n = 120;
        StepConfig config = StepConfig.defaults(12, 2).withChooseK(new StepConfig.KRange(2, 6))
                .withKMeans(KMeans.Config.of(2).withVariant(KMeans.Variant.LLOYD));
        PoolStep.Outcome o = PoolStep.run(blobs(n, 4, 9), scores(n, 10), config, 0, null, false, null);
        assertEquals(4, o.clustering().clusters());                                  // four well-separated blobs
        assertEquals(5, o.clustering().kChoice().size());
        assertEquals(4, Arrays.stream(o.clustering().labels()).distinct().count());
    }

    /**
     * The step index is folded into the seeds: step 0 and step 1 of the same inputs draw differently. (N = 1000 so
     * CCS strata hold many members: with one member per stratum its choice involves no draw at all.)
     */
    @Test
    void stepsDrawDifferentSamples() throws IOException {
        int n = 1000;
        StepConfig config = StepConfig.defaults(20, 2);
        int[] s0 = PoolStep.run(blobs(n, 2, 11), scores(n, 12), config, 0, null, false, null).selection().selected();
        int[] again = PoolStep.run(blobs(n, 2, 11), scores(n, 12), config, 0, null, false, null).selection().selected();
        int[] s1 = PoolStep.run(blobs(n, 2, 11), scores(n, 12), config, 1, null, false, null).selection().selected();
        assertArrayEquals(s0, again);
        assertFalse(Arrays.equals(s0, s1));
    }

    /** The blobs with NaN in rows 3, 13, ... and +∞ / −∞ in rows 7 and 8 (12 invalid rows of 100). */
    private static InMemoryVectors blobsWithNonFiniteRows(int n) {
        float[][] rows = new float[n][8];
        InMemoryVectors clean = blobs(n, 4, 21);
        for (int i = 0; i < n; i++) clean.read(i, rows[i]);
        for (int i = 3; i < n; i += 10) rows[i][i % 8] = Float.NaN;
        rows[7][0] = Float.POSITIVE_INFINITY;
        rows[8][5] = Float.NEGATIVE_INFINITY;
        return new InMemoryVectors(rows);
    }

    /**
     * Vector rows with NaN or ±∞ are invalid samples: not clustered (label −1; the inertia and centroids stay those of
     * the finite rows, where nan_to_num gave an infinite inertia and centroids near Float.MAX_VALUE), never selected,
     * counted in the report, kept in the pool within P_max; a saved step resumes to the same outcome.
     */
    @Test
    void nonFiniteVectorsAreInvalidSamples(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws IOException {
        int n = 100;
        InMemoryVectors v = blobsWithNonFiniteRows(n);
        java.util.Set<Integer> invalid = new java.util.TreeSet<>(List.of(7, 8));
        for (int i = 3; i < n; i += 10) invalid.add(i);
        Map<String, float[]> scores = scores(n, 22);
        scores.get("el2n")[3] = Float.NaN;                                          // an invalid sample's NaN score
        for (boolean pruneFirst : new boolean[]{false, true}) {
            StepConfig config = StepConfig.defaults(30, 4).withPoolCap(60).withSeed(9).withPruneBeforeSelection(pruneFirst);
            StepFolder folder = new StepFolder(tmp.resolve("step-" + pruneFirst));
            PoolStep.Outcome o = PoolStep.run(v, scores, config, 0, folder, false, null);
            PoolStep.Clustering c = o.clustering();
            assertTrue(Double.isFinite(c.inertia()), "inertia " + c.inertia());
            for (float[] centroid : c.centroids()) for (float x : centroid) assertTrue(Math.abs(x) < 10, "centroid " + Arrays.toString(centroid));
            for (int i = 0; i < n; i++) assertEquals(invalid.contains(i), c.labels()[i] < 0, "label of row " + i);
            assertEquals(12, c.invalidSamples());
            for (int p : o.selection().selected()) assertFalse(invalid.contains(p), "selected invalid sample " + p);
            assertEquals(30, o.selection().size());
            int[] kept = o.pruning().kept();
            assertEquals(60, kept.length, "the pool stays at P_max");
            for (int p : invalid) assertTrue(Arrays.binarySearch(kept, p) >= 0, "invalid sample " + p + " stays in the pool");

            JsonNode j = StepReport.of(o, config, List.copyOf(scores.keySet()), null).toJson();
            assertEquals(12, j.get("non_finite_vectors").asInt());
            assertEquals(1, j.get("nan_scores").get("el2n").asInt(), "the invalid sample's NaN score is counted");
            assertEquals(n, j.get("pool_size").asInt());
            int sizes = 0, keptInClusters = 0;
            for (JsonNode cl : j.get("clusters")) {
                sizes += cl.get("size").asInt();
                keptInClusters += cl.get("kept").asInt();
            }
            assertEquals(n - 12, sizes, "invalid samples belong to no cluster");
            assertEquals(60 - 12, keptInClusters);
            assertEquals(60, j.get("pruning").get("pool_after").asInt());

            PoolStep.Outcome resumed = PoolStep.run(v, scores, config, 0, folder, true, null);
            assertArrayEquals(c.labels(), resumed.clustering().labels());
            assertArrayEquals(o.selection().selected(), resumed.selection().selected());
            assertArrayEquals(kept, resumed.pruning().kept());
        }
    }

    /** A pool without one finite vector, or with fewer finite vectors than K, is an error naming the count. */
    @Test
    void tooFewFiniteVectorsAreAClearError() {
        float[][] rows = new float[6][4];
        for (float[] r : rows) Arrays.fill(r, Float.NaN);
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> PoolStep.run(new InMemoryVectors(rows), scores(6, 1), StepConfig.defaults(3, 2), 0, null, false, null));
        assertEquals("every one of the 6 vectors contains NaN or infinite values: no valid sample to cluster or select", none.getMessage());
        rows[0] = new float[]{1, 0, 0, 0};
        rows[1] = new float[]{0, 1, 0, 0};
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> PoolStep.run(new InMemoryVectors(rows), scores(6, 1), StepConfig.defaults(3, 3), 0, null, false, null));
        assertEquals("K = 3 exceeds the pool of 2 samples with finite vectors (4 of 6 contain NaN or infinite values): "
                + "K must not exceed N", k.getMessage());
    }
}
