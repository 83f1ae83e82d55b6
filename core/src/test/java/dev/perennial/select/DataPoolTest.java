/*
 * DataPool (docs/methods/adapt-inf.md §1.1, §7, Appendix A) over three synthetic steps (datasets of 60, 50 and 40 records,
 * K = 4, B = 20, P_max = 70, so steps 1 and 2 prune 110 → 70): pruned ids never return and the pool stays at
 * min(N, P_max) (invariant 17, EXACT_WATERFILL); S_t ⊆ the step's pool, which holds every new record (15);
 * reopening a pool folder restores its state and every step exactly; a step interrupted after any stage resumes
 * to the same result, loading what was saved; selected.json carries the selected records with their source;
 * and the misuse cases fail clearly.
 */
package dev.perennial.select;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DataPoolTest {
    private static final String[] NAMES = {"d0", "d1", "d2"};
    private static final int[] RECORDS = {60, 50, 40};
    private static final int CAP = 70, BUDGET = 20, K = 4;
    private static final StepConfig CONFIG = StepConfig.defaults(BUDGET, K).withPoolCap(CAP);

    @TempDir
    Path dir;

    /** Runs the next step with the synthetic vectors and scores of its candidates. */
    private static DataPool.StepResult step(DataPool pool, Path work, int t, boolean withJson) throws IOException {
        SampleId[] candidates = pool.candidates(NAMES[t], RECORDS[t]);
        Path vectors = SyntheticSteps.vectors(work.resolve("vectors-" + t + ".npy"), candidates, t);
        Path json = withJson ? dataset(work, NAMES[t], RECORDS[t]) : null;
        return pool.step(NAMES[t], RECORDS[t], json, vectors, SyntheticSteps.scores(candidates, t), null);
    }

    /** A LLaVA-JSON file of n records with ids "name-i". */
    private static Path dataset(Path work, String name, int n) throws IOException {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"id\": \"").append(name).append('-').append(i)
                    .append("\", \"conversations\": [{\"from\": \"human\", \"value\": \"q\"}, {\"from\": \"gpt\", \"value\": \"a\"}]}");
        }
        Path file = work.resolve(name + ".json");
        Files.writeString(file, sb.append("]").toString());
        return file;
    }

    private List<DataPool.StepResult> threeSteps(DataPool pool, boolean withJson) throws IOException {
        List<DataPool.StepResult> out = new ArrayList<>();
        for (int t = 0; t < 3; t++) out.add(step(pool, dir, t, withJson));
        return out;
    }

    @Test
    void prunedIdsNeverReturnAndThePoolStaysAtTheCap() throws IOException {
        DataPool pool = DataPool.create(dir.resolve("pool"), CONFIG);
        Set<SampleId> pruned = new HashSet<>();
        int expectedSize = 0;
        for (int t = 0; t < 3; t++) {
            SampleId[] before = pool.members();
            DataPool.StepResult r = step(pool, dir, t, false);
            Set<SampleId> candidates = Set.of(r.candidates());
            for (SampleId p : pruned) assertFalse(candidates.contains(p), "step " + t + ": pruned " + p + " came back");
            assertTrue(candidates.containsAll(Arrays.asList(before)));
            for (int i = 0; i < RECORDS[t]; i++) assertTrue(candidates.contains(new SampleId(NAMES[t], i)), "new record " + i + " missing");
            assertEquals(before.length + RECORDS[t], r.candidates().length);
            assertTrue(candidates.containsAll(Arrays.asList(r.selectedIds())));
            assertEquals(BUDGET, r.selectedIds().length);                    // enough eligible samples in every cluster here

            expectedSize = Math.min(CAP, before.length + RECORDS[t]);
            assertEquals(expectedSize, pool.size(), "step " + t);
            assertEquals(t > 0, r.outcome().pruning().pruned());
            Set<SampleId> members = Set.of(pool.members());
            assertEquals(pool.size(), members.size(), "duplicate members");
            for (SampleId p : r.prunedIds()) assertFalse(members.contains(p));
            pruned.addAll(Arrays.asList(r.prunedIds()));
            assertEquals(r.candidates().length, pool.size() + r.prunedIds().length);
            assertTrue(Files.isRegularFile(r.folder().resolve(StepFolder.REPORT_JSON)));
            assertTrue(Files.isRegularFile(r.folder().resolve(StepFolder.REPORT_PNG)));
        }
        assertEquals(80, pruned.size());                                     // 110 → 70 twice
        assertEquals(CAP, expectedSize);
    }

    @Test
    void reopeningRestoresTheStateExactly() throws IOException {
        Path folder = dir.resolve("pool");
        DataPool pool = DataPool.create(folder, CONFIG.withPruneBeforeSelection(false));
        List<DataPool.StepResult> results = threeSteps(pool, true);
        DataPool again = DataPool.open(folder);
        assertEquals(pool.config(), again.config());
        assertEquals(pool.datasets(), again.datasets());
        assertArrayEquals(pool.members(), again.members());
        assertEquals(3, again.completedSteps());
        assertFalse(again.hasPendingStep());
        for (int t = 0; t < 3; t++) assertSameStep(results.get(t), again.result(t));
    }

    @Test
    void anInterruptedStepResumesToTheSameResult() throws IOException {
        Path folder = dir.resolve("pool");
        DataPool pool = DataPool.create(folder, CONFIG);
        step(pool, dir, 0, false);
        step(pool, dir, 1, false);
        byte[] committed = Files.readAllBytes(folder.resolve(DataPool.POOL_FILE));
        DataPool.StepResult uninterrupted = step(pool, dir, 2, false);
        Path stepDir = uninterrupted.folder();
        Map<String, byte[]> saved = new java.util.HashMap<>();
        try (var files = Files.list(stepDir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) saved.put(f.getFileName().toString(), Files.readAllBytes(f));
        }
        // Crash points: after the inputs, after clustering, after selection, after pruning (before the report and commit).
        String[][] lost = {
                {StepFolder.CLUSTERING, StepFolder.LABELS, StepFolder.CENTROIDS, StepFolder.SELECTION, StepFolder.SELECTED,
                        StepFolder.PRUNING, StepFolder.KEPT, StepFolder.REDUNDANCY, StepFolder.REPORT_JSON, StepFolder.REPORT_PNG},
                {StepFolder.SELECTION, StepFolder.SELECTED, StepFolder.PRUNING, StepFolder.KEPT, StepFolder.REDUNDANCY,
                        StepFolder.REPORT_JSON, StepFolder.REPORT_PNG},
                {StepFolder.PRUNING, StepFolder.KEPT, StepFolder.REDUNDANCY, StepFolder.REPORT_JSON, StepFolder.REPORT_PNG},
                {StepFolder.REPORT_JSON, StepFolder.REPORT_PNG}};
        for (String[] files : lost) {
            for (var e : saved.entrySet()) Files.write(stepDir.resolve(e.getKey()), e.getValue());
            for (String f : files) Files.delete(stepDir.resolve(f));
            Files.write(folder.resolve(DataPool.POOL_FILE), committed);
            DataPool reopened = DataPool.open(folder);
            assertEquals(2, reopened.completedSteps());
            assertTrue(reopened.hasPendingStep());
            assertThrows(IllegalStateException.class, () -> step(reopened, dir, 2, false));
            DataPool.StepResult resumed = reopened.resume(null);
            assertSameStep(uninterrupted, resumed);
            assertArrayEquals(pool.members(), reopened.members());
            assertEquals(3, DataPool.open(folder).completedSteps());
        }
    }

    /** Resume loads saved stages instead of recomputing them: a replaced (valid) labelling is what it continues from. */
    @Test
    void resumeContinuesFromTheSavedStages() throws IOException {
        Path folder = dir.resolve("pool");
        DataPool pool = DataPool.create(folder, CONFIG);
        byte[] empty = Files.readAllBytes(folder.resolve(DataPool.POOL_FILE));
        DataPool.StepResult first = step(pool, dir, 0, false);
        Path stepDir = first.folder();
        int[] labels = new int[RECORDS[0]];
        for (int i = 0; i < labels.length; i++) labels[i] = i % K;            // not what k-means found
        try (Tensor t = Tensor.ofInts(labels, labels.length)) {
            Npy.write(stepDir.resolve(StepFolder.LABELS), t);
        }
        for (String f : new String[]{StepFolder.SELECTION, StepFolder.SELECTED, StepFolder.PRUNING}) Files.delete(stepDir.resolve(f));
        Files.write(folder.resolve(DataPool.POOL_FILE), empty);
        DataPool.StepResult resumed = DataPool.open(folder).resume(null);
        assertArrayEquals(labels, resumed.outcome().clustering().labels());
        assertNotEquals(Arrays.toString(first.outcome().clustering().labels()), Arrays.toString(labels));
        for (StepReport.Cluster c : resumed.report().clusters()) assertEquals(RECORDS[0] / K, c.size());
    }

    @Test
    void aChangedVectorsFileIsRefusedOnResume() throws IOException {
        Path folder = dir.resolve("pool");
        DataPool pool = DataPool.create(folder, CONFIG);
        byte[] empty = Files.readAllBytes(folder.resolve(DataPool.POOL_FILE));
        DataPool.StepResult r = step(pool, dir, 0, false);
        Files.delete(r.folder().resolve(StepFolder.SELECTION));
        Files.write(folder.resolve(DataPool.POOL_FILE), empty);
        SyntheticSteps.vectors(dir.resolve("vectors-0.npy"), r.candidates(), 5);   // same shape, other values
        IOException e = assertThrows(IOException.class, () -> DataPool.open(folder).resume(null));
        assertTrue(e.getMessage().contains("changed since step 0 started"), e.getMessage());
    }

    @Test
    void selectedRecordsCarryTheirSource() throws IOException {
        DataPool pool = DataPool.create(dir.resolve("pool"), CONFIG);
        List<DataPool.StepResult> results = threeSteps(pool, true);
        DataPool.StepResult last = results.get(2);
        JsonNode records = new ObjectMapper().readTree(last.folder().resolve(DataPool.SELECTED_RECORDS).toFile());
        SampleId[] selected = last.selectedIds();
        assertEquals(selected.length, records.size());
        Set<String> datasets = new HashSet<>();
        for (int i = 0; i < selected.length; i++) {
            JsonNode rec = records.get(i);
            assertEquals(selected[i].dataset(), rec.get(SelectedRecords.SOURCE_FIELD).asText());
            assertEquals(selected[i].dataset() + "-" + selected[i].index(), rec.get("id").asText());
            assertEquals("gpt", rec.get("conversations").get(1).get("from").asText());
            datasets.add(selected[i].dataset());
        }
        assertTrue(datasets.size() >= 2, "the step should select from old and new datasets: " + datasets);
    }

    @Test
    void pruningBeforeSelectionSelectsFromTheKeptSamples() throws IOException {
        DataPool pool = DataPool.create(dir.resolve("pool"), CONFIG.withPruneBeforeSelection(true));
        step(pool, dir, 0, false);
        DataPool.StepResult r = step(pool, dir, 1, false);
        assertTrue(r.outcome().pruning().pruned());
        assertTrue(Set.of(r.keptIds()).containsAll(Arrays.asList(r.selectedIds())));
        assertEquals(BUDGET, r.selectedIds().length);
        int sizes = r.outcome().selection().clusters().stream().mapToInt(Selection.ClusterReport::size).sum();
        assertEquals(CAP, sizes);                                            // selection saw the pruned pool
    }

    @Test
    void misuseFailsClearly() throws IOException {
        DataPool pool = DataPool.create(dir.resolve("pool"), CONFIG);
        assertThrows(IOException.class, () -> DataPool.create(dir.resolve("pool"), CONFIG));
        assertThrows(IOException.class, () -> DataPool.open(dir.resolve("nothing")));
        step(pool, dir, 0, false);
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> pool.candidates("d0", 5));
        assertTrue(again.getMessage().contains("already joined the pool at step 0"), again.getMessage());

        SampleId[] candidates = pool.candidates("d1", 50);
        Path shortVectors = SyntheticSteps.vectors(dir.resolve("short.npy"), Arrays.copyOf(candidates, 100), 1);
        IllegalArgumentException rows = assertThrows(IllegalArgumentException.class,
                () -> pool.step("d1", 50, null, shortVectors, SyntheticSteps.scores(candidates, 1), null));
        assertTrue(rows.getMessage().contains("has 100 rows for 110 pool samples (60 members + 50 records of 'd1')"), rows.getMessage());

        Path vectors = SyntheticSteps.vectors(dir.resolve("v1.npy"), candidates, 1);
        Map<String, float[]> scores = SyntheticSteps.scores(Arrays.copyOf(candidates, 109), 1);
        IllegalArgumentException len = assertThrows(IllegalArgumentException.class, () -> pool.step("d1", 50, null, vectors, scores, null));
        assertTrue(len.getMessage().contains("has 109 scores for 110 pool samples"), len.getMessage());

        Path json = dataset(dir, "d1", 49);
        IllegalArgumentException count = assertThrows(IllegalArgumentException.class,
                () -> pool.step("d1", 50, json, vectors, SyntheticSteps.scores(candidates, 1), null));
        assertTrue(count.getMessage().contains("has 49 records, dataset 'd1' was given 50"), count.getMessage());
        DataPool tiny = DataPool.create(dir.resolve("tiny"), StepConfig.defaults(2, 8));
        SampleId[] few = tiny.candidates("t", 5);
        Path fewVectors = SyntheticSteps.vectors(dir.resolve("few.npy"), few, 0);
        IllegalArgumentException k = assertThrows(IllegalArgumentException.class,
                () -> tiny.step("t", 5, null, fewVectors, SyntheticSteps.scores(few, 0), null));
        assertTrue(k.getMessage().contains("K = 8 exceeds the pool of 5 samples"), k.getMessage());
        assertFalse(tiny.hasPendingStep());
        assertFalse(pool.hasPendingStep());                                  // nothing was started by the failures
        assertEquals(1, pool.completedSteps());
    }

    private static void assertSameStep(DataPool.StepResult a, DataPool.StepResult b) {
        assertArrayEquals(a.candidates(), b.candidates());
        PoolStep.Clustering ca = a.outcome().clustering(), cb = b.outcome().clustering();
        assertEquals(ca.clusters(), cb.clusters());
        assertArrayEquals(ca.labels(), cb.labels());
        for (int k = 0; k < ca.clusters(); k++) assertArrayEquals(ca.centroids()[k], cb.centroids()[k]);
        assertEquals(ca.inertia(), cb.inertia(), 0);
        assertEquals(ca.iterations(), cb.iterations());
        assertArrayEquals(a.outcome().selection().selected(), b.outcome().selection().selected());
        assertEquals(a.outcome().selection().clusters(), b.outcome().selection().clusters());
        assertEquals(a.outcome().selection().nonFiniteScores(), b.outcome().selection().nonFiniteScores());
        assertArrayEquals(a.outcome().pruning().kept(), b.outcome().pruning().kept());
        assertArrayEquals(a.outcome().pruning().redundancy(), b.outcome().pruning().redundancy());
        assertArrayEquals(a.outcome().pruning().keepBudgets(), b.outcome().pruning().keepBudgets());
        assertEquals(a.report().toJson(), b.report().toJson());
    }
}
