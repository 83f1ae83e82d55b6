/*
 * StepConfig (docs/methods/adapt-inf.md Appendix B): the JSON form a data pool stores round-trips every field exactly, the
 * CODE_COMPAT switch flips every selection and pruning mode and keeps the seeds, a pool.json from before
 * kmeans.n_init reads as one k-means++ start, and bad values are refused.
 */
package dev.perennial.select;

import dev.perennial.cluster.KMeans;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepConfigTest {

    private static StepConfig roundTrip(StepConfig c) throws IOException {
        ObjectMapper m = new ObjectMapper();
        return StepConfig.fromJson(m.readTree(m.writeValueAsString(c.toJson())));
    }

    @Test
    void jsonRoundTripsEveryField() throws IOException {
        StepConfig plain = StepConfig.defaults(25_000, 10);
        assertEquals(plain, roundTrip(plain));
        StepConfig full = plain.withPoolCap(100_000).withPruneBeforeSelection(true).withChooseK(new StepConfig.KRange(4, 12))
                .withKMeans(KMeans.Config.of(7).withVariant(KMeans.Variant.LLOYD).withTolerance(1.0 / 3).withBatchSize(77)
                        .withInitSampleSize(5).withMaxIterations(9).withAssignment(KMeans.Assignment.GEMM).withNInit(3))
                .withSelection(MultiWaySelection.Config.defaults().singleScore("ppl")
                        .withSampling(CoverageCentricSampling.Config.defaults().withTrims(0.1, 0.0).withStrata(20).withFillFromTails(true)))
                .withSeed(-1234567890123L)
                .codeCompat();
        assertEquals(full, roundTrip(full));
        assertEquals(1.0 / 3, roundTrip(full).kmeans().tolerance(), 0);
        assertEquals(3, roundTrip(full).kmeans().nInit());
    }

    /** A pool.json from before kmeans.n_init existed was clustered with one k-means++ start, and reopens so. */
    @Test
    void aPoolConfigWithoutNInitReadsAsOneStart() {
        ObjectNode json = StepConfig.defaults(100, 4).toJson();
        assertEquals(KMeans.DEFAULT_N_INIT, json.get("kmeans").get("n_init").asInt());
        ((ObjectNode) json.get("kmeans")).remove("n_init");
        assertEquals(1, StepConfig.fromJson(json).kmeans().nInit());
        ((ObjectNode) json.get("kmeans")).put("n_init", 0);
        assertEquals("need nInit >= 1 (k-means initialisations), got 0",
                assertThrows(IllegalArgumentException.class, () -> StepConfig.fromJson(json)).getMessage());
    }

    @Test
    void codeCompatSwitchesSelectionAndPruningOnly() {
        StepConfig c = StepConfig.defaults(10, 3).withSeed(42);
        assertFalse(c.isCodeCompat());
        StepConfig compat = c.codeCompat();
        assertTrue(compat.isCodeCompat());
        assertEquals(BudgetSplit.Mode.CODE_COMPAT, compat.pruneSplit());
        assertEquals(CoverageCentricSampling.Mode.CODE_COMPAT, compat.selection().sampling().mode());
        assertEquals(42, compat.selection().seed());
        assertEquals(c.kmeans(), compat.kmeans());
    }

    @Test
    void badValuesAreRefused() throws IOException {
        assertThrows(IllegalArgumentException.class, () -> StepConfig.defaults(-1, 3));
        assertThrows(IllegalArgumentException.class, () -> StepConfig.defaults(1, 3).withPoolCap(0));
        assertThrows(IllegalArgumentException.class, () -> new StepConfig.KRange(1, 3));
        assertThrows(IllegalArgumentException.class, () -> new StepConfig.KRange(5, 4));
        ObjectNode json = StepConfig.defaults(1, 3).toJson();
        json.remove("prune_split");
        assertEquals("step config lacks 'prune_split'", assertThrows(IllegalArgumentException.class, () -> StepConfig.fromJson(json)).getMessage());
        ObjectNode typed = StepConfig.defaults(1, 3).toJson();
        typed.put("budget", "ten");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> StepConfig.fromJson(typed)).getMessage().contains("'budget' is not an int"));
    }
}
