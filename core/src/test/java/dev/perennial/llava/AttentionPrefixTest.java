/*
 * Prefix tuning of the decoder's attention (AttentionPrefix; DualPrompt's Pre-T, docs/methods/modalprompt.md §14.2)
 * on the tiny model (2 layers, 4 heads, 2 kv heads: prefixes are [L, 32]):
 *   - the gradient of the loss with respect to the prefixes against central finite differences, with and without
 *     gradient checkpointing of the unprefixed layer;
 *   - a prefix of length 0 computes exactly what no prefix computes (forward, loss, generation);
 *   - greedy generation with the KV cache holding the prefix equals recomputing the prefixed forward pass for every
 *     step, for a padded batch whose samples carry different prefixes;
 *   - the fused CPU attention agrees with the reference composition (additive mask) on the prefixed mask;
 *   - bad prefixes (outside the model, odd length, wrong width, samples that disagree) are refused with their reason.
 */
package dev.perennial.llava;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;

import static dev.perennial.llava.Goldens.maxAbsDiff;
import static dev.perennial.llava.Goldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class AttentionPrefixTest {
    static final Backend BE = new CpuBackend();
    static final int KV_WIDTH = 32, HIDDEN = 64;
    static LlavaModel model;
    static Tensor pixels;
    static long[] prompt;

    @BeforeAll
    static void load() throws IOException {
        model = LlavaModel.load(Goldens.tinyHf());
        pixels = npy("pixel_values");
        prompt = npy("generate_prompt_ids").toLongArray();
        assertEquals(KV_WIDTH, model.config().text().numKvHeads() * model.config().text().headDim());
    }

    @AfterAll
    static void close() throws IOException {
        model.close();
    }

    /** [rows, 32] uniform in [-1, 1) from {@code seed}. */
    static Tensor random(int rows, long seed) {
        Random r = new Random(seed);
        float[] v = new float[rows * KV_WIDTH];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() * 2 - 1;
        return Tensor.of(v, rows, KV_WIDTH);
    }

    static PromptInsertion prefixes(Object... layerAndPrompt) {
        SortedMap<Integer, Tensor> m = new TreeMap<>();
        for (int i = 0; i < layerAndPrompt.length; i += 2) m.put((Integer) layerAndPrompt[i], (Tensor) layerAndPrompt[i + 1]);
        return PromptInsertion.prefixOnly(m);
    }

    /** Labels: every text token supervised, the image marker ignored. */
    static long[] labels(long[] ids) {
        long[] l = ids.clone();
        for (int i = 0; i < l.length; i++) if (l[i] == 300) l[i] = -100;
        return l;
    }

    static double loss(Backend be, PromptInsertion p) {
        return model.forwardLoss(be, List.of(prompt), pixels, List.of(labels(prompt)), List.of(p)).loss();
    }

    // (1) d loss / d prefix by the tape against central finite differences (float32 forward, h = 1e-2; the tolerance
    // pattern of the other float32 checks: 2e-3 + 2e-2·|fd|)
    @Test
    void prefixGradientMatchesFiniteDifferences() {
        Tensor g = random(4, 1), e = random(6, 2);                  // layer 0: 2 positions, layer 1: 3 positions
        PromptInsertion p = prefixes(0, g, 1, e);
        Tape tape = new Tape();
        tape.watch(g);
        tape.watch(e);
        Backend gb = new GradBackend(BE, tape);
        Tensor lossTensor = model.forwardLoss(gb, List.of(prompt), pixels, List.of(labels(prompt)), List.of(p)).lossTensor();
        Gradients grads = tape.backward(lossTensor);
        float[] dg = grads.of(g).toFloatArray(), de = grads.of(e).toFloatArray();
        assertTrue(Arrays.stream(toDouble(dg)).anyMatch(x -> Math.abs(x) > 1e-4), "the layer-0 prefix gets a gradient");
        Random pick = new Random(7);
        for (int trial = 0; trial < 24; trial++) {
            Tensor t = trial % 2 == 0 ? g : e;
            float[] analytic = trial % 2 == 0 ? dg : de;
            int i = pick.nextInt((int) t.numel());                       // keys and values halves both sampled
            float x = t.storage().getFloat(i);
            float h = 1e-2f;
            t.storage().setFloat(i, x + h);
            double up = loss(BE, p);
            t.storage().setFloat(i, x - h);
            double down = loss(BE, p);
            t.storage().setFloat(i, x);
            double fd = (up - down) / (2 * h);
            assertEquals(fd, analytic[i], 2e-3 + 2e-2 * Math.abs(fd), (t == g ? "layer-0" : "layer-1") + " prefix element " + i);
        }
    }

    // gradient checkpointing leaves the prefixed layer recorded and checkpoints the other: same gradients, bit for bit
    @Test
    void checkpointingGivesTheSameGradients() {
        Tensor g = random(4, 3);
        PromptInsertion p = prefixes(0, g);
        float[][] out = new float[2][];
        for (int run = 0; run < 2; run++) {
            model.decoder().setGradientCheckpointing(run == 1);
            try {
                Tape tape = new Tape();
                tape.watch(g);
                Tensor l = model.forwardLoss(new GradBackend(BE, tape), List.of(prompt), pixels, List.of(labels(prompt)), List.of(p)).lossTensor();
                out[run] = tape.backward(l).of(g).toFloatArray();
            } finally {
                model.decoder().setGradientCheckpointing(false);
            }
        }
        assertArrayEquals(out[0], out[1]);
    }

    // (2) a prefix of length 0 in every layer is no prefix: bit-identical logits, loss and generation
    @Test
    void emptyPrefixIsNoPrefix() {
        PromptInsertion empty = prefixes(0, random(0, 1), 1, random(0, 2));
        LlavaModel.Output with = model.forward(BE, List.of(prompt), pixels, List.of(labels(prompt)), List.of(empty));
        LlavaModel.Output without = model.forward(BE, List.of(prompt), pixels, List.of(labels(prompt)));
        assertArrayEquals(without.logits().toFloatArray(), with.logits().toFloatArray());
        assertEquals(without.loss(), with.loss());
        Generator gen = new Generator(model, BE);
        Generator.Result a = gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(6, -1), null, List.of(empty));
        Generator.Result b = gen.generate(List.of(prompt), pixels, GenerationConfig.greedy(6, -1), null);
        assertArrayEquals(b.tokens().get(0), a.tokens().get(0));
        for (int s = 0; s < b.stepLogits().size(); s++) assertArrayEquals(b.stepLogits().get(s).toFloatArray(), a.stepLogits().get(s).toFloatArray());
    }

    // (3) the cache holds the prefix in its first slots: each decode step equals the full prefixed forward pass of
    // prompt + the tokens so far, for a left-padded batch whose samples carry different layer-1 prefixes
    @Test
    void cachedGenerationEqualsPrefixedRecomputation() {
        Tensor g = random(4, 11);
        long[] shorter = Arrays.copyOfRange(prompt, 0, 12);
        List<long[]> batch = List.of(prompt, shorter);
        List<PromptInsertion> inserts = List.of(prefixes(0, g, 1, random(6, 12)), prefixes(0, g, 1, random(6, 13)));
        Tensor two = BE.concat(List.of(pixels, pixels), 0);
        Generator.Result r = new Generator(model, BE).generate(batch, two, GenerationConfig.greedy(6, -1), null, inserts);
        LlavaModel.Output plain = model.forward(BE, List.of(prompt), pixels, null);
        LlavaModel.Output prefixed = model.forward(BE, List.of(prompt), pixels, null, List.of(inserts.get(0)));
        assertTrue(maxAbsDiff(plain.logits(), prefixed.logits()) > 1e-3, "the prefix changes the output");
        for (int s = 0; s < 2; s++) {
            long[] tokens = r.tokens().get(s);
            assertEquals(6, tokens.length);
            for (int step = 0; step < tokens.length; step++) {
                long[] seq = Arrays.copyOf(batch.get(s), batch.get(s).length + step);
                System.arraycopy(tokens, 0, seq, batch.get(s).length, step);
                Tensor logits = model.forward(BE, List.of(seq), pixels, null, List.of(inserts.get(s))).logits();   // [1, T, V]
                Tensor last = logits.select(0, 0).select(0, logits.size(1) - 1);
                double d = maxAbsDiff(last, r.stepLogits().get(step).select(0, s));
                assertTrue(d <= 1e-4, "sample " + s + " step " + step + " differs by " + d);
                assertEquals(argmax(last.toFloatArray()), tokens[step], "sample " + s + " step " + step);
            }
        }
    }

    // the fused CPU kernel on causal(start + P) with P valid keys in front = the composition with its additive mask
    @Test
    void fusedAttentionAgreesWithTheReferenceComposition() {
        long[] shorter = Arrays.copyOfRange(prompt, 0, 12);
        List<PromptInsertion> inserts = List.of(prefixes(0, random(4, 21), 1, random(6, 22)), prefixes(0, random(4, 21), 1, random(6, 23)));
        Tensor two = BE.concat(List.of(pixels, pixels), 0);
        Tensor fused = model.forward(BE, List.of(prompt, shorter), two, null, inserts).logits();
        Tensor reference = model.forward(ReferenceBackend.INSTANCE, List.of(prompt, shorter), two, null, inserts).logits();
        assertTrue(maxAbsDiff(fused, reference) <= 1e-4, "fused vs reference: " + maxAbsDiff(fused, reference));
    }

    @Test
    void badPrefixesAreRefusedWithTheirReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> model.forward(BE, List.of(prompt), pixels, null, List.of(prefixes(2, random(4, 1)))));
        assertTrue(e.getMessage().contains("decoder layer 2") && e.getMessage().contains("2 layers (0-1)"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> prefixes(0, random(3, 1)));
        assertTrue(e.getMessage().contains("L even"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> model.forward(BE, List.of(prompt), pixels, null,
                List.of(prefixes(0, Tensor.zeros(4, HIDDEN)))));
        assertTrue(e.getMessage().contains("width 64") && e.getMessage().contains("32"), e.getMessage());
        Tensor two = BE.concat(List.of(pixels, pixels), 0);
        e = assertThrows(IllegalArgumentException.class, () -> model.forward(BE, List.of(prompt, prompt), two, null,
                List.of(prefixes(0, random(4, 1)), prefixes(1, random(4, 1)))));
        assertTrue(e.getMessage().contains("same layers"), e.getMessage());
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    private static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }
}
