/*
 * Greedy generation with the KV cache against the reference (docs/methods/llava-numerics.md: 8 new tokens exact, step
 * logits of the cached path within 1e-4), the full-recompute path against the reference's no-cache logits,
 * batching with padding against single samples, sampling reproducibility, stop conditions and logit masking.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.perennial.llava.Goldens.maxAbsDiff;
import static dev.perennial.llava.Goldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class GenerationTest {
    static final Backend BE = new CpuBackend();
    static LlavaModel model;
    static Tensor pixels;
    static long[] prompt;

    @BeforeAll
    static void load() throws IOException {
        model = LlavaModel.load(Goldens.tinyHf());
        pixels = npy("pixel_values");
        prompt = npy("generate_prompt_ids").toLongArray();
    }

    @AfterAll
    static void close() throws IOException {
        model.close();
    }

    @Test
    void greedyWithCacheMatchesReference() throws IOException {
        Generator.Result r = new Generator(model, BE).generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 2), null);
        assertArrayEquals(npy("generate_new_tokens").toLongArray(), r.tokens().get(0));
        Tensor golden = npy("generate_step_logits");                                   // [8, 320]
        for (int s = 0; s < 8; s++) {
            double d = maxAbsDiff(r.stepLogits().get(s).reshape(320), golden.select(0, s));
            assertTrue(d <= 1e-4, "step " + s + " logits differ by " + d);
        }
    }

    @Test
    void fullRecomputeMatchesReferenceNoCacheLogits() throws IOException {
        long[] tokens = npy("generate_new_tokens").toLongArray();
        Tensor golden = npy("generate_step_logits_nocache");
        for (int s = 0; s < tokens.length; s++) {
            long[] seq = Arrays.copyOf(prompt, prompt.length + s);
            System.arraycopy(tokens, 0, seq, prompt.length, s);
            Tensor logits = model.forward(BE, List.of(seq), pixels, null).logits();   // [1, T, V]
            Tensor last = logits.select(0, 0).select(0, logits.size(1) - 1);
            assertTrue(maxAbsDiff(last, golden.select(0, s)) <= 1e-4, "step " + s);
        }
    }

    /** Two prompts of different lengths, each with the golden image, plus one text-only prompt. */
    private static List<long[]> mixedBatch() {
        long[] shorter = Arrays.copyOfRange(prompt, 0, 12);                            // still holds the image marker
        long[] textOnly = {1, 17, 42, 233, 7};
        assertTrue(Arrays.stream(shorter).anyMatch(id -> id == 300));
        return List.of(prompt, shorter, textOnly);
    }

    private static Tensor twoImages() {
        return BE.concat(List.of(pixels, pixels), 0);
    }

    @Test
    void paddedBatchGivesPerSampleLogits() {
        List<long[]> batch = mixedBatch();
        LlavaModel.Output together = model.forward(BE, batch, twoImages(), null);
        for (int s = 0; s < batch.size(); s++) {
            boolean hasImage = Arrays.stream(batch.get(s)).anyMatch(id -> id == 300);
            LlavaModel.Output alone = model.forward(BE, List.of(batch.get(s)), hasImage ? pixels : null, null);
            int len = alone.logits().size(1);
            assertEquals(len, together.inputs().lengths()[s]);
            Tensor mine = together.logits().select(0, s).narrow(0, 0, len);
            assertTrue(maxAbsDiff(mine, alone.logits().select(0, 0)) <= 1e-5, "sample " + s);
        }
    }

    @Test
    void batchedGenerationEqualsSingle() {
        List<long[]> batch = mixedBatch();
        Generator gen = new Generator(model, BE);
        Generator.Result together = gen.generate(batch, twoImages(), GenerationConfig.greedy(6, 2), null);
        for (int s = 0; s < batch.size(); s++) {
            boolean hasImage = Arrays.stream(batch.get(s)).anyMatch(id -> id == 300);
            Generator.Result alone = gen.generate(List.of(batch.get(s)), hasImage ? pixels : null, GenerationConfig.greedy(6, 2), null);
            assertArrayEquals(alone.tokens().get(0), together.tokens().get(s), "sample " + s);
        }
    }

    @Test
    void samplingIsReproducibleAndSeedDependent() {
        Generator gen = new Generator(model, BE);
        GenerationConfig cfg = GenerationConfig.greedy(12, -1).withSampling(1.5f, 0.95f, 42);
        long[] a = gen.generate(List.of(prompt), pixels, cfg, null).tokens().get(0);
        long[] b = gen.generate(List.of(prompt), pixels, cfg, null).tokens().get(0);
        assertArrayEquals(a, b);
        List<long[]> others = new ArrayList<>();
        for (long seed = 1; seed <= 5; seed++) {
            others.add(gen.generate(List.of(prompt), pixels, cfg.withSampling(1.5f, 0.95f, seed), null).tokens().get(0));
        }
        assertTrue(others.stream().anyMatch(o -> !Arrays.equals(o, a)), "different seeds should not all agree");
    }

    @Test
    void tinyTopPIsGreedy() {
        Generator gen = new Generator(model, BE);
        long[] greedy = gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 2), null).tokens().get(0);
        long[] nucleus = gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 2).withSampling(1f, 1e-6f, 7), null).tokens().get(0);
        assertArrayEquals(greedy, nucleus);
    }

    @Test
    void stopsAtEosStopStringAndMaskedIds() {
        Generator gen = new Generator(model, BE);
        long[] golden = {303, 78, 186, 186, 186, 186, 313, 63};
        // EOS = the third golden token: generation ends right after it
        assertArrayEquals(new long[]{303, 78, 186}, gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 186), null).tokens().get(0));
        // a stop string seen in the decoded text ends generation
        GenerationConfig stop = GenerationConfig.greedy(8, -1).withStopStrings(List.of("<78>"));
        long[] stopped = gen.generate(List.of(prompt), pixels, stop, ids -> Arrays.toString(Arrays.stream(ids).mapToObj(i -> "<" + i + ">").toArray())).tokens().get(0);
        assertArrayEquals(new long[]{303, 78}, stopped);
        // masking ids >= 300 forbids the first golden pick (303)
        long first = gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(1, -1).withMaskIdsFrom(300), null).tokens().get(0)[0];
        assertTrue(first < 300 && first != golden[0]);
    }

    @Test
    void endsWhenTheContextIsFullAndRefusesLongerPrompts() {
        Generator gen = new Generator(model, BE);
        int markers = (int) Arrays.stream(prompt).filter(id -> id == model.config().imageTokenIndex()).count();
        int positions = prompt.length - markers + markers * model.config().imageFeatureCount();
        int maxPos = model.config().text().maxPositions();
        int room = Generator.room(maxPos, positions);
        assertTrue(room > 8 && room < 10_000, "the tiny model's context leaves a short, non-trivial room: " + room);
        long[] all = gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(10_000, -1), null).tokens().get(0);
        assertEquals(room, all.length, "generation fills the context exactly, then stops without an error");
        long[] eight = gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(8, -1), null).tokens().get(0);
        assertArrayEquals(eight, Arrays.copyOf(all, 8), "the clamp does not change what is generated before it");

        long[] tooLong = new long[maxPos + 1];
        Arrays.fill(tooLong, 5);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> gen.generate(List.of(tooLong), null, GenerationConfig.greedy(4, -1), null));
        assertTrue(e.getMessage().contains("max_position_embeddings") && e.getMessage().contains(String.valueOf(maxPos + 1)), e.getMessage());
    }
}
