/*
 * The tiny LLaVA checkpoint against the reference implementation's tensors (docs/methods/llava-numerics.md "Golden
 * tensors"), stage by stage, with the spec's tolerances: hidden states / projector / merged embeddings 1e-4,
 * logits 1e-4, per-token loss 2e-5, mean loss 1e-5, ids / positions / labels exact. The original-naming
 * checkpoint must give the same logits.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

import static dev.perennial.llava.Goldens.maxAbsDiff;
import static dev.perennial.llava.Goldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class LlavaGoldenTest {
    static final Backend BE = new CpuBackend();
    static LlavaModel model;
    static Tensor pixels;
    static long[] ids, labels;

    @BeforeAll
    static void load() throws IOException {
        model = LlavaModel.load(Goldens.tinyHf());
        pixels = npy("pixel_values");
        ids = npy("input_ids").toLongArray();
        labels = npy("labels").toLongArray();
    }

    @AfterAll
    static void close() throws IOException {
        model.close();
    }

    @Test
    void configDefaultsAreApplied() {
        LlavaConfig c = model.config();
        assertEquals(LlavaConfig.Dialect.HF, c.dialect());
        assertEquals(300, c.imageTokenIndex());
        assertEquals(10000f, c.text().ropeTheta());          // omitted in config.json: HF default
        assertEquals(2, c.text().numKvHeads());
        assertEquals(16, c.text().headDim());
        assertEquals(ClipVisionConfig.Activation.QUICK_GELU, c.vision().hiddenAct());
        assertEquals(25, c.imageFeatureCount());
        assertEquals(1, c.featureLayerIndex());
    }

    @Test
    void visionTower() throws IOException {
        Tensor golden = npy("vision_hidden_states_all");                     // [3, 1, 26, 32]
        List<Tensor> states = model.visionTower().hiddenStates(BE, pixels, model.config().vision().numLayers());
        assertEquals(3, states.size());
        for (int i = 0; i < 3; i++) {
            assertTrue(maxAbsDiff(states.get(i), golden.select(0, i)) <= 1e-4, "hidden state " + i);
        }
        assertTrue(maxAbsDiff(model.selectedFeatures(BE, pixels), npy("vision_selected_features")) <= 1e-4);
    }

    @Test
    void projector() throws IOException {
        Tensor selected = npy("vision_selected_features");
        assertTrue(maxAbsDiff(model.projector().hidden(BE, selected), npy("projector_hidden_act_out")) <= 1e-4);
        assertTrue(maxAbsDiff(model.imageFeatures(BE, pixels), npy("projector_out")) <= 1e-4);
    }

    @Test
    void mergedInputs() throws IOException {
        MergedInputs in = model.merge(BE, List.of(ids), model.imageFeatures(BE, pixels), List.of(labels), false);
        assertTrue(maxAbsDiff(in.embeds(), npy("merged_inputs_embeds")) <= 1e-4);
        assertArrayEquals(npy("merged_position_ids").toLongArray(), in.positions().toLongArray());
        assertArrayEquals(npy("merged_labels").toLongArray(), in.labels().toLongArray());
    }

    @Test
    void decoderHiddenStatesLogitsAndLoss() throws IOException {
        LlavaModel.Output out = model.forward(BE, List.of(ids), pixels, List.of(labels));
        Tensor golden = npy("lm_hidden_states_all");                         // [3, 1, 48, 64]
        assertTrue(maxAbsDiff(out.inputs().embeds(), golden.select(0, 0)) <= 1e-4);
        assertTrue(maxAbsDiff(out.hidden().layerOutputs().get(0), golden.select(0, 1)) <= 1e-4);
        assertTrue(maxAbsDiff(out.hidden().normed(), golden.select(0, 2)) <= 1e-4);   // HF stores the normed last state
        double logitsDiff = maxAbsDiff(out.logits(), npy("logits"));
        assertTrue(logitsDiff <= 1e-4, "logits differ by " + logitsDiff);

        Tensor perToken = npy("per_token_loss");                            // [47]
        long[] mask = npy("per_token_loss_mask").toLongArray();
        assertTrue(maxAbsDiff(out.perTokenLoss().reshape(47), perToken) <= 2e-5);
        long supervised = java.util.Arrays.stream(mask).sum();
        assertEquals(supervised, out.supervisedTokens());
        assertEquals(9.329628944, out.loss(), 1e-5);
    }

    @Test
    void originalDialectGivesTheSameLogits() throws IOException {
        long[] originalIds = ids.clone();
        for (int i = 0; i < originalIds.length; i++) if (originalIds[i] == 300) originalIds[i] = -200;
        try (LlavaModel orig = LlavaModel.load(Goldens.tinyOriginal())) {
            assertEquals(LlavaConfig.Dialect.ORIGINAL, orig.config().dialect());
            assertTrue(orig.config().padImageToSquare());
            LlavaModel.Output out = orig.forward(BE, List.of(originalIds), pixels, List.of(labels));
            assertTrue(maxAbsDiff(out.logits(), npy("logits")) <= 1e-4);
            assertEquals(9.329628944, out.loss(), 1e-5);
        }
    }
}
