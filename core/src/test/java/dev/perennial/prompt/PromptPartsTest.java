/*
 * The prompt pool as a composition of parts (PromptPoolConfig, PromptParts): every preset survives pool.json (format 2)
 * unchanged; a pool saved in format 1 (flat fields, parts named by enum constants, as the first release wrote it)
 * still opens with the same parts; part settings are strict and errors name the path; and a part registered by a
 * user runs in a pool and reopens from pool.json without any change to PromptPool.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class PromptPartsTest {
    static final Backend BE = new CpuBackend();

    @TempDir
    Path dir;

    static List<PromptPoolConfig> presets() {
        return List.of(PromptPoolConfig.modalPrompt(3, 10, 0.3f, 8), PromptPoolConfig.l2p(6, 2, 5, 8, "image", 0.5f),
                PromptPoolConfig.dualPromptTaskPrompts(4, 8, "text"), PromptPoolConfig.sPrompts(4, 8, "image", 3),
                PromptPoolConfig.dualPrompt(List.of(0, 1), 6, List.of(2, 3, 4), 20, 8, "image"),
                new PromptPoolConfig("neg-l2-prefix", 2, 8, PromptQueries.single("image"), PromptPoolConfig.Growth.SHARED, 4,
                        new FreeKeys(), PromptScore.NEG_L2, new TopKSelector(2, false), PromptComposer.PREFIX, KeyLoss.NONE,
                        PromptPoolConfig.Trainable.ALL_ENTRIES),
                new PromptPoolConfig("soft", 2, 8, PromptQueries.single("image"), PromptPoolConfig.Growth.SHARED, 3,
                        new FreeKeys(), PromptScore.COSINE, new SoftSelector(false), PromptComposer.WEIGHTED_SUM, KeyLoss.NONE,
                        PromptPoolConfig.Trainable.ALL_ENTRIES));
    }

    @Test
    void everyPresetSurvivesPoolJson() throws IOException {
        int i = 0;
        for (PromptPoolConfig c : presets()) {
            assertEquals(c, PromptPoolConfig.fromMap(c.toMap()), c.method());
            Path state = dir.resolve("s" + i++);
            PromptPoolState.create(state, c, 16);
            PromptPoolConfig back = PromptPoolState.open(state).pool().config();
            assertEquals(c, back, c.method());
            assertEquals(c.toString(), back.toString());
        }
        String json = Files.readString(dir.resolve("s0").resolve(PromptPoolState.POOL_JSON));
        assertTrue(json.contains("\"perennial-prompt-pool/2\""), json);
        assertTrue(json.replaceAll("\\s", "").contains("\"selector\":{\"type\":\"top-k\",\"k\":3,\"forceCurrent\":true}"), json);
    }

    /** pool.json of a ModalPrompt pool exactly as format 1 wrote it (Jackson's view of the old flat record). */
    @Test
    void formatOnePoolsStillOpen() throws IOException {
        Path state = dir.resolve("old");
        Files.createDirectories(state);
        Files.writeString(state.resolve(PromptPoolState.POOL_JSON), """
                {
                  "format" : "perennial-prompt-pool/1",
                  "config" : {
                    "method" : "modalprompt", "promptLength" : 10, "keyDim" : 8, "queries" : [ "image", "text" ],
                    "queryWeights" : [ 0.3, 0.7 ], "growth" : "PER_TASK", "poolSize" : 0, "keys" : "DERIVED_MLP",
                    "centroidsPerEntry" : 0, "score" : "COSINE", "selector" : "TOP_K", "topK" : 3, "forceCurrent" : true,
                    "composer" : "CONCAT_AFTER_BOS", "keyLoss" : "CURRENT", "keyLossWeight" : 1.0, "trainable" : "CURRENT_ENTRY",
                    "modalities" : 2
                  },
                  "hidden" : 16,
                  "tasks" : [ ]
                }
                """, StandardCharsets.UTF_8);
        assertEquals(PromptPoolConfig.modalPrompt(3, 10, 0.3f, 8), PromptPoolState.open(state).pool().config());
        Map<String, Object> sPrompts = new LinkedHashMap<>(Map.of("method", "s-prompts", "promptLength", 4, "keyDim", 8,
                "queries", List.of("image"), "queryWeights", List.of(1.0), "growth", "PER_TASK", "poolSize", 0, "keys", "CENTROIDS",
                "centroidsPerEntry", 3, "score", "COSINE"));
        sPrompts.putAll(Map.of("selector", "ARGMAX", "topK", 1, "forceCurrent", true, "composer", "CONCAT_AFTER_BOS",
                "keyLoss", "NONE", "keyLossWeight", 0.0, "trainable", "CURRENT_ENTRY"));
        assertEquals(PromptPoolConfig.sPrompts(4, 8, "image", 3), PromptPoolConfig.fromMap(sPrompts));
    }

    @Test
    void partSettingsAreStrictAndErrorsNameThePath() {
        Map<String, Object> m = PromptPoolConfig.modalPrompt(3, 10, 0.5f, 8).toMap();
        m.put("selector", Map.of("type", "top-k", "kk", 3, "forceCurrent", true));
        var e = assertThrows(IllegalArgumentException.class, () -> PromptPoolConfig.fromMap(m));
        assertTrue(e.getMessage().contains("config.selector.k is missing"), e.getMessage());
        m.put("selector", Map.of("type", "top-k", "k", 3, "forceCurrent", true, "extra", 1));
        e = assertThrows(IllegalArgumentException.class, () -> PromptPoolConfig.fromMap(m));
        assertEquals("unknown setting config.selector.extra", e.getMessage());
        m.put("selector", Map.of("type", "top-n", "k", 3));
        e = assertThrows(IllegalArgumentException.class, () -> PromptPoolConfig.fromMap(m));
        assertTrue(e.getMessage().startsWith("config.selector.type: unknown selector top-n (known: "), e.getMessage());
        assertTrue(e.getMessage().contains("argmax, soft, top-k"), e.getMessage());
        Map<String, Object> m2 = PromptPoolConfig.modalPrompt(3, 10, 0.5f, 8).toMap();
        m2.put("trian", true);
        e = assertThrows(IllegalArgumentException.class, () -> PromptPoolConfig.fromMap(m2));
        assertEquals("unknown setting config.trian", e.getMessage());
    }

    @Test
    void partsRefuseCombinationsTheyCannotWorkWith() {
        var e = assertThrows(IllegalArgumentException.class, () -> new PromptPoolConfig("x", 2, 8, PromptQueries.single("image"),
                PromptPoolConfig.Growth.PER_TASK, 0, new CentroidKeys(2), PromptScore.COSINE, new TopKSelector(2, true),
                PromptComposer.AFTER_BOS, KeyLoss.NONE, PromptPoolConfig.Trainable.CURRENT_ENTRY));
        assertTrue(e.getMessage().contains("argmax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PromptPoolConfig("x", 2, 8, PromptQueries.single("image"),
                PromptPoolConfig.Growth.SHARED, 3, new FreeKeys(), PromptScore.COSINE, new TopKSelector(2, false),
                PromptComposer.AFTER_BOS, new CurrentKeyLoss(1f), PromptPoolConfig.Trainable.ALL_ENTRIES));
        assertTrue(e.getMessage().contains("shared pool has no current entry"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PromptPoolConfig("x", 2, 8, PromptQueries.single("image"),
                PromptPoolConfig.Growth.SHARED, 3, new FreeKeys(), PromptScore.COSINE, new TopKSelector(2, false),
                PromptComposer.WEIGHTED_SUM, KeyLoss.NONE, PromptPoolConfig.Trainable.ALL_ENTRIES));
        assertTrue(e.getMessage().contains("weighted"), e.getMessage());
        // DualPrompt's layer-prefix composer: one prompt per sample, |E layers| × Le rows, even lengths, disjoint layers
        LayerPrefixComposer prefix = new LayerPrefixComposer(List.of(0), 2, List.of(1, 2), 4);
        e = assertThrows(IllegalArgumentException.class, () -> new PromptPoolConfig("x", 8, 8, PromptQueries.single("image"),
                PromptPoolConfig.Growth.PER_TASK, 0, new FreeKeys(), PromptScore.COSINE, new TopKSelector(2, true),
                prefix, KeyLoss.NONE, PromptPoolConfig.Trainable.CURRENT_ENTRY));
        assertTrue(e.getMessage().contains("argmax"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new PromptPoolConfig("x", 5, 8, PromptQueries.single("image"),
                PromptPoolConfig.Growth.PER_TASK, 0, new FreeKeys(), PromptScore.COSINE, new ArgmaxSelector(true),
                prefix, KeyLoss.NONE, PromptPoolConfig.Trainable.CURRENT_ENTRY));
        assertTrue(e.getMessage().contains("= 8, got 5"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LayerPrefixComposer(List.of(0), 5, List.of(1), 4));
        assertTrue(e.getMessage().contains("even"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LayerPrefixComposer(List.of(0, 1), 2, List.of(1), 4));
        assertTrue(e.getMessage().contains("layer 1 is listed twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SelectedKeyLoss(0f));
        assertThrows(IllegalArgumentException.class, () -> new TopKSelector(0, false));
    }

    /** A selector a user adds: the entry whose name sorts first (a made-up rule; the point is the plug-in path). */
    record FirstByName() implements PromptSelector {
        @Override public String type() { return "test-first-by-name"; }
        @Override public boolean forcesCurrent() { return false; }

        @Override
        public PromptSelection inference(PromptPool pool, Backend be, Tensor queries) {
            int best = 0;
            for (int i = 1; i < pool.size(); i++) if (pool.entry(i).name().compareTo(pool.entry(best).name()) < 0) best = i;
            int b = queries.size(1);
            int[][] e = new int[b][];
            float[][] s = new float[b][];
            double[][] scores = pool.scoreMatrix(be, queries, pool.size());
            for (int i = 0; i < b; i++) {
                e[i] = new int[]{best};
                s[i] = new float[]{(float) scores[i][best]};
            }
            return new PromptSelection(e, s, null);
        }

        @Override
        public PromptSelection training(PromptPool pool, Backend be, Tensor queries, int current) {
            return inference(pool, be, queries);
        }
    }

    @Test
    void aRegisteredPartRunsInAPoolAndReopens() throws IOException {
        PromptParts.registerSelector("test-first-by-name", s -> new FirstByName());
        assertThrows(IllegalArgumentException.class, () -> PromptParts.registerSelector("test-first-by-name", s -> new FirstByName()));
        PromptPoolConfig c = new PromptPoolConfig("mine", 2, 8, PromptQueries.single("image"), PromptPoolConfig.Growth.SHARED, 3,
                new FreeKeys(), PromptScore.COSINE, new FirstByName(), PromptComposer.AFTER_BOS, new SelectedKeyLoss(1f),
                PromptPoolConfig.Trainable.ALL_ENTRIES);
        PromptPoolState state = PromptPoolState.create(dir.resolve("mine"), c, 16);
        SplittableRandom r = new SplittableRandom(3);
        for (String name : List.of("zeta", "alpha", "mid")) state.pool().add(name, PromptPoolTest.random(r, 2, 16), r.nextLong());
        state.commitTask("t", BE, null);
        PromptPool back = PromptPoolState.open(dir.resolve("mine")).pool();
        assertEquals(c, back.config());
        Tensor q = PromptPoolTest.random(r, 1, 4, 8);
        PromptSelection sel = back.selectForInference(BE, q);
        for (int[] row : sel.entries()) assertArrayEquals(new int[]{1}, row, "alpha is entry 1");
        assertNotNull(back.keyLoss(BE, q, sel, -1), "the selected-key loss applies to the selection the new part made");
    }
}
