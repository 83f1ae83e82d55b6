/*
 * ScoringPass on the tiny LLaVA (docs/methods/adapt-inf.md §2, §4, §5; §10.1 invariants 4, 5, 9, 10): the sample vector is the
 * projection of exactly the chosen layer's LoRA gradients in the spec's order (checked against an ordinary full
 * backward pass), only response positions contribute (checked against losses built from an explicit position
 * list on the merged sequence), a padded batch equals its samples run alone, IG is 1 for text-only samples and for
 * an image the zero-pixel pass cannot tell apart, matches an explicit forward without the image, and exceeds 1 once
 * a model has learnt answers only the image determines; HIDDEN_MEAN is the normalised mean hidden state.
 */
package dev.perennial.select;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.data.TrainingExample;
import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ScoringPassTest {
    static final Backend BE = new CpuBackend();
    static final int IGNORE = -100, IMAGE = 300, FEATURES = 25;
    static final RandomProjection PROJECTION = new RandomProjection();
    static final Set<Scorer.Requirement> ALL_PASSES = Set.of(Scorer.Requirement.GRADIENT, Scorer.Requirement.NO_IMAGE_REMOVED,
            Scorer.Requirement.NO_IMAGE_ZERO_PIXELS);

    LlavaModel model;
    Map<String, LoraAdapter> adapters;
    long[] ids, labels;
    Tensor px;

    static Path golden(String name) throws Exception {
        return Path.of(ScoringPassTest.class.getResource("/golden").toURI()).resolve(name);
    }

    @BeforeEach
    void load() throws Exception {
        model = LlavaModel.load(golden("tiny-llava-hf"));
        adapters = Lora.attach(model.linears(), LoraConfig.llm(3, 6, 0f), 5);
        Random r = new Random(1);                                   // B != 0, so the A gradients are not zero either
        for (LoraAdapter ad : adapters.values()) {
            for (int i = 0; i < ad.b().numel(); i++) ad.b().storage().setFloat(i, (float) (r.nextGaussian() * 0.1));
        }
        Path g = golden("golden-tiny-llava-hf");
        ids = Npy.read(g.resolve("input_ids.npy")).toLongArray();   // 24 ids, the image marker at 8
        labels = Npy.read(g.resolve("labels.npy")).toLongArray();   // the last 6 supervised
        px = Npy.read(g.resolve("pixel_values.npy"));                // [1, 3, 30, 30]
    }

    @AfterEach
    void close() throws Exception {
        model.close();
    }

    private ScoringPass pass(SampleVectors.Config cfg, Set<Scorer.Requirement> needs) {
        return pass(cfg, needs, 1);
    }

    private ScoringPass pass(SampleVectors.Config cfg, Set<Scorer.Requirement> needs, int batchSize) {
        return new ScoringPass(model, BE, cfg, needs, PROJECTION, batchSize);
    }

    private static SampleVectors.Config grads(List<Integer> layers, int k, long seed) {
        return new SampleVectors.Config(SampleVectors.Source.LORA_GRAD, layers, k, seed);
    }

    private TrainingExample golden() {
        return new TrainingExample(0, "golden", ids, labels, px.squeeze(0));
    }

    /** The flat gradient (spec order) of the given layers' adapters from one ordinary backward of the loss. */
    private float[] fullBackwardGradient(Gradients grads, List<Integer> layers) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (var e : adapters.entrySet()) {
            if (!layers.contains(LoraLayers.layerOf(e.getKey()))) continue;
            for (Tensor t : new Tensor[]{e.getValue().a(), e.getValue().b()}) {
                float[] v = grads.of(t).toFloatArray();
                parts.add(v);
                n += v.length;
            }
        }
        float[] flat = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, flat, at, p.length);
            at += p.length;
        }
        return flat;
    }

    private static float[] reference(float[] flat, int k, long seed) {
        return RandomProjection.normalizeRows(RandomProjection.reference(Tensor.of(flat, 1, flat.length), 0, k, seed)).toFloatArray();
    }

    private static double norm(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return Math.sqrt(s);
    }

    private static void assertVectorClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], actual[i], tol, what + " [" + i + "]");
    }

    // Spec §10.1 invariant 4 (and 9 at model level): v(z) = normalize(reference(g_𝓛)) with g_𝓛 = the chosen layers'
    // LoRA gradients of an ordinary full backward, flattened q, k, v, o, gate, up, down (A then B); 928·r per layer;
    // GraNd = ‖g_𝓛‖₂. Layer 0's gradients are not zero, so a vector that mixed them in would differ.
    @Test
    void theVectorIsTheChosenLayersGradientInSpecOrder() {
        Tape tape = new Tape();
        GradBackend gb = new GradBackend(BE, tape);
        adapters.values().forEach(ad -> { tape.watch(ad.a()); tape.watch(ad.b()); });
        Gradients grads = tape.backward(model.forward(gb, List.of(ids), px, List.of(labels)).lossTensor());
        float[] layer1 = fullBackwardGradient(grads, List.of(1)), layer0 = fullBackwardGradient(grads, List.of(0));
        assertEquals(928 * 3, layer1.length);
        assertTrue(norm(layer0) > 0 && norm(layer1) > 0);

        int k = 64;
        ScoringPass.Result one = pass(grads(List.of(), k, 3), Set.of()).run(List.of(golden())).get(0);
        assertVectorClose(reference(layer1, k, 3), one.vector(), 1e-5, "last layer (default)");
        assertEquals(norm(layer1), one.evidence().gradientNorm(), 1e-5 * norm(layer1), "GraNd");

        float[] both = new float[layer0.length + layer1.length];
        System.arraycopy(layer0, 0, both, 0, layer0.length);
        System.arraycopy(layer1, 0, both, layer0.length, layer1.length);
        ScoringPass.Result two = pass(grads(List.of(1, 0), k, 3), Set.of()).run(List.of(golden())).get(0);
        assertVectorClose(reference(both, k, 3), two.vector(), 1e-5, "layers 0 and 1, ascending");
        assertEquals(norm(both), two.evidence().gradientNorm(), 1e-5 * norm(both));
        assertEquals(1.0, norm(one.vector()), 1e-3, "unit norm (invariant 2)");
    }

    // Spec §10.1 invariant 5: the loss, its gradient, PPL, EL2N and the response entropy computed through the label
    // mask equal the same built from an explicit list of answer positions (the last six ids) on the merged sequence,
    // where every id after the image marker moves by F − 1 = 24 positions and the logits at q − 1 predict position q.
    @Test
    void onlyResponsePositionsContribute() {
        int[] answer = {18, 19, 20, 21, 22, 23};
        long[] fromPositions = new long[ids.length];
        Arrays.fill(fromPositions, IGNORE);
        for (int p : answer) fromPositions[p] = ids[p];
        assertArrayEquals(labels, fromPositions, "the golden labels mark exactly the answer");

        int k = 128;
        ScoringPass.Result r = pass(grads(List.of(), k, 0), Set.of(Scorer.Requirement.GRADIENT)).run(List.of(golden())).get(0);

        Tape tape = new Tape();
        GradBackend gb = new GradBackend(BE, tape);
        adapters.values().forEach(ad -> { tape.watch(ad.a()); tape.watch(ad.b()); });
        Tensor logits = model.forward(gb, List.of(ids), px, null).logits();                        // [1, 48, V], no labels
        int v = logits.size(2);
        List<Tensor> rows = new ArrayList<>();
        long[] targets = new long[answer.length];
        for (int i = 0; i < answer.length; i++) {
            int q = answer[i] + FEATURES - 1;
            rows.add(logits.narrow(1, q - 1, 1).reshape(1, v));
            targets[i] = ids[answer[i]];
        }
        Tensor selected = gb.concat(rows, 0);                                                       // [6, V]
        Tensor ce = gb.crossEntropy(selected, Tensor.ofLongs(targets, targets.length), IGNORE);
        tape.keep(selected);                                       // both read again below, after backward
        tape.keep(logits);
        Gradients grads = tape.backward(gb.scale(gb.sum(ce, 0, false), 1f / answer.length));
        float[] g = fullBackwardGradient(grads, List.of(1));
        assertVectorClose(reference(g, k, 0), r.vector(), 1e-5, "gradient of the explicit loss");
        assertEquals(norm(g), r.evidence().gradientNorm(), 1e-5 * norm(g));

        TokenScores explicit = TokenScores.reference(selected, Tensor.ofLongs(targets, targets.length), IGNORE);
        double nll = 0, el2n = 0, ent = 0;
        for (int i = 0; i < answer.length; i++) {
            nll += explicit.nll()[i];
            el2n += explicit.el2n()[i];
            ent += explicit.entropy()[i];
        }
        SampleEvidence e = r.evidence();
        assertEquals(6, e.responseTokens());
        assertEquals(48, e.targets().length, "T = 24 - 1 + 25 merged positions");
        assertEquals(nll / 6, new PerplexityScorer(PerplexityScorer.Aggregation.LOG_PPL).score(e), 1e-5);
        assertEquals(el2n / 6, new El2nScorer().score(e), 1e-5);
        assertEquals(ent / 6, new EntropyScorer(EntropyScorer.Positions.RESPONSE).score(e), 1e-5);
        float[] all = TokenScores.reference(logits.reshape(48, v), Tensor.ofLongs(new long[48], 48), IGNORE).entropy();
        double mean = 0;
        for (float x : all) mean += x;
        assertEquals(mean / 48, new EntropyScorer(EntropyScorer.Positions.ALL).score(e), 1e-5, "ALL: every merged position");
    }

    // A group of three (image, shorter image, text-only) gives every sample what it gets alone (1e-5), whether the
    // three share one right-padded model pass or run one by one and only share the projection.
    @Test
    void aGroupEqualsItsSamplesAlone() {
        long[] shortIds = Arrays.copyOf(ids, 21), shortLabels = Arrays.copyOf(labels, 21);
        List<TrainingExample> group = List.of(golden(), new TrainingExample(1, "short", shortIds, shortLabels, BE.scale(px.squeeze(0), 0.5f)),
                new TrainingExample(2, "text", new long[]{1, 17, 42, 233, 7, 99}, new long[]{IGNORE, IGNORE, IGNORE, 233, 7, 99}, null));
        SampleVectors.Config cfg = grads(List.of(), 256, 0);
        ScoringPass single = pass(cfg, ALL_PASSES, 1);
        List<ScoringPass.Result> padded = pass(cfg, ALL_PASSES, 3).run(group), grouped = single.run(group);
        Map<String, Scorer> scorers = ScorerRegistry.standard().register("ig0", new ImageGroundingScorer(
                ImageGroundingScorer.NoImageMode.ZERO_PIXELS, ImageGroundingScorer.PplAggregation.EXP_MEAN)).select(
                List.of("ppl", "el2n", "entropy", "grand", "ig", "ig0"));
        for (int s = 0; s < 3; s++) {
            ScoringPass.Result alone = single.run(List.of(group.get(s))).get(0);
            for (List<ScoringPass.Result> together : List.of(padded, grouped)) {
                String how = (together == padded ? "padded pass" : "shared projection") + ", sample " + s;
                assertVectorClose(alone.vector(), together.get(s).vector(), 1e-5, how);
                for (var sc : scorers.entrySet()) {
                    float a = sc.getValue().score(alone.evidence()), b = sc.getValue().score(together.get(s).evidence());
                    assertEquals(a, b, 1e-5 * Math.max(1, Math.abs(a)), sc.getKey() + ", " + how);
                }
            }
        }
        assertEquals(1.0f, scorers.get("ig").score(padded.get(2).evidence()), "text-only: exactly 1.0 (invariant 10)");
        assertTrue(padded.get(2).evidence().noImageNll().isEmpty(), "no second pass for a text-only sample");
    }

    // Parallel samples (the default for small models on the CPU) give what one batch after another gives (1e-5, as a
    // padded batch: a kernel that runs serially inside a sample's pass may round differently from the same product split
    // across threads), and the same bits on every repetition, whichever thread ran which sample. Shared activation
    // captures (before LoraAdapter kept them per thread) mixed the passes' activations and failed this.
    @Test
    void parallelSamplesGiveWhatSequentialOnesGive() {
        assumeTrue(dev.perennial.tensor.Parallel.threads() >= 2, "needs two CPU threads");
        List<TrainingExample> group = new ArrayList<>();
        for (int s = 0; s < 12; s++) {
            int len = 14 + s % 8;
            boolean text = s % 4 == 3;
            long[] i = text ? new long[len] : Arrays.copyOf(ids, len), l = new long[len];
            Arrays.fill(l, IGNORE);
            for (int j = 0; text && j < len; j++) i[j] = j == 0 ? 1 : 3 + (31L * j + s) % 250;
            for (int j = len - 3; j < len; j++) l[j] = i[j];
            group.add(new TrainingExample(s, "s" + s, i, l, text ? null : BE.scale(px.squeeze(0), 0.25f * (1 + s % 3))));
        }
        SampleVectors.Config cfg = grads(List.of(), 256, 7);
        assertTrue(ScoringPass.parallelByDefault(model, BE), "the tiny model scores in parallel by default");
        Map<String, Scorer> scorers = ScorerRegistry.standard().select(List.of("ppl", "el2n", "entropy", "grand", "ig"));
        for (int batch : new int[]{1, 2}) {
            List<ScoringPass.Result> seq = new ScoringPass(model, BE, cfg, ALL_PASSES, PROJECTION, batch, false).run(group);
            List<ScoringPass.Result> first = null;
            for (int rep = 0; rep < 3; rep++) {
                List<ScoringPass.Result> par = new ScoringPass(model, BE, cfg, ALL_PASSES, PROJECTION, batch, true).run(group);
                for (int s = 0; s < group.size(); s++) {
                    String how = "batch " + batch + ", sample " + s;
                    assertVectorClose(seq.get(s).vector(), par.get(s).vector(), 1e-5, how);
                    for (var sc : scorers.entrySet()) {
                        float a = sc.getValue().score(seq.get(s).evidence()), b = sc.getValue().score(par.get(s).evidence());
                        assertEquals(a, b, 1e-5 * Math.max(1, Math.abs(a)), sc.getKey() + ", " + how);
                    }
                    if (first == null) continue;
                    assertArrayEquals(first.get(s).vector(), par.get(s).vector(), "repetition " + rep + ", " + how);
                    for (var sc : scorers.values()) {
                        assertEquals(sc.score(first.get(s).evidence()), sc.score(par.get(s).evidence()), "repetition " + rep + ", " + how);
                    }
                }
                if (first == null) first = par;
            }
        }
    }

    // Spec §10.1 invariant 10, model level: REMOVE's IG is exp(b − a) with b from an explicit forward pass without
    // the marker; an image equal to the zero-pixel image makes the ZERO_PIXELS passes identical: IG = 1.
    @Test
    void imageGroundingAgainstExplicitPasses() {
        ScoringPass p = pass(grads(List.of(), 64, 0), ALL_PASSES);
        SampleEvidence e = p.run(List.of(golden())).get(0).evidence();
        long[] noMarkerIds = new long[ids.length - 1], noMarkerLabels = new long[ids.length - 1];
        for (int j = 0, i = 0; j < ids.length; j++) {
            if (ids[j] == IMAGE) continue;
            noMarkerIds[i] = ids[j];
            noMarkerLabels[i++] = labels[j];
        }
        LlavaModel.Output without = model.forward(BE, List.of(noMarkerIds), null, List.of(noMarkerLabels));
        LlavaModel.Output with = model.forward(BE, List.of(ids), px, List.of(labels));
        double expected = Math.exp(without.loss() - with.loss());
        float ig = ImageGroundingScorer.paper().score(e);
        assertEquals(expected, ig, 1e-5 * expected);
        assertNotEquals(1f, ig, "the random model's answer depends on the image");

        TrainingExample zeroImage = new TrainingExample(0, "zero", ids, labels, Tensor.zeros(3, 30, 30));
        SampleEvidence z = p.run(List.of(zeroImage)).get(0).evidence();
        ImageGroundingScorer zeroPixels = new ImageGroundingScorer(ImageGroundingScorer.NoImageMode.ZERO_PIXELS,
                ImageGroundingScorer.PplAggregation.EXP_MEAN);
        assertEquals(1.0, zeroPixels.score(z), 1e-6, "an image the second pass cannot tell apart: IG = 1");
    }

    // Spec §10.1 invariant 10: after LoRA training on answers that only the image determines (the question is the
    // same for both images), removing the image raises the answer's NLL: IG > 1 for every sample.
    @Test
    void aModelThatNeedsTheImageHasImageGroundingAboveOne() throws Exception {
        Tensor a = px.squeeze(0), b = BE.scale(px.squeeze(0), -1f);
        long[] question = {1, IMAGE, 17, 42, 233, 7};
        long[][] answers = {{50, 51, 52, 53, 54, 2}, {60, 61, 62, 63, 64, 2}};
        List<TrainingExample> data = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            long[] answer = answers[i % 2];
            long[] id = new long[question.length + answer.length], lab = new long[id.length];
            System.arraycopy(question, 0, id, 0, question.length);
            System.arraycopy(answer, 0, id, question.length, answer.length);
            Arrays.fill(lab, IGNORE);
            System.arraycopy(answer, 0, lab, question.length, answer.length);
            data.add(new TrainingExample(i, "s" + i, id, lab, i % 2 == 0 ? a : b));
        }
        TrainConfig cfg = TrainConfig.defaults().withEpochs(15).withBatchSize(4).withLearningRate(1e-2).withSeed(3);
        new Trainer(model, BE, Lora.parameters(adapters), null, adapters.values(), cfg).train(data, null, false, null);

        ScoringPass p = pass(grads(List.of(), 64, 0), Set.of(Scorer.Requirement.NO_IMAGE_REMOVED));
        ImageGroundingScorer ig = ImageGroundingScorer.paper();
        for (ScoringPass.Result r : p.run(data.subList(0, 2))) {
            float score = ig.score(r.evidence());
            assertTrue(score > 1.5f, "IG " + score + " (log-PPL with image " + r.evidence().means().meanNll()[0] + ")");
        }
    }

    // HIDDEN_MEAN (spec §2.6): the normalised mean over all merged positions of hidden_states[ℓ] (HF numbering);
    // no gradient is computed unless GraNd asks for one.
    @Test
    void hiddenMeanVectors() {
        LlavaModel.Output out = model.forward(BE, List.of(ids), px, List.of(labels));
        Tensor[] states = {out.inputs().embeds(), out.hidden().layerOutputs().get(0), out.hidden().normed()};
        int[] index = {0, 1, 2};
        for (int i = 0; i < index.length; i++) {
            ScoringPass p = pass(new SampleVectors.Config(SampleVectors.Source.HIDDEN_MEAN, List.of(index[i]), 1, 0), Set.of());
            assertEquals(64, p.vectorDim());
            ScoringPass.Result r = p.run(List.of(golden())).get(0);
            assertVectorClose(SampleVectors.hiddenMean(states[i].select(0, 0), 48), r.vector(), 1e-5, "hidden_states[" + index[i] + "]");
            assertTrue(Double.isNaN(r.evidence().gradientNorm()));
        }
        ScoringPass withGrand = pass(new SampleVectors.Config(SampleVectors.Source.HIDDEN_MEAN, List.of(1), 1, 0), Set.of(Scorer.Requirement.GRADIENT));
        assertTrue(withGrand.run(List.of(golden())).get(0).evidence().gradientNorm() > 0, "GraNd of layer 1's adapters");
        assertThrows(IllegalArgumentException.class, () -> pass(new SampleVectors.Config(SampleVectors.Source.HIDDEN_MEAN, List.of(3), 1, 0), Set.of()));
    }

    @Test
    void samplesWithoutResponseTokensAreRefused() {
        long[] none = new long[ids.length];
        Arrays.fill(none, IGNORE);
        ScoringPass p = pass(grads(List.of(), 8, 0), Set.of());
        assertThrows(IllegalArgumentException.class, () -> p.run(List.of(new TrainingExample(0, "x", ids, none, px.squeeze(0)))));
        assertThrows(IllegalArgumentException.class, () -> pass(grads(List.of(2), 8, 0), Set.of()), "no layer 2");
        assertThrows(IllegalArgumentException.class, () -> pass(grads(List.of(), 8, 0), Set.of(), 0));
    }
}
