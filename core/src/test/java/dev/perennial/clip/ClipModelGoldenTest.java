/*
 * The tiny CLIPModel checkpoint (core/src/test/resources/golden/clip/README.md) against the reference implementation's tensors, on the
 * CPU backend and on the ReferenceBackend (plain double loops): text hidden states of every layer,
 * last_hidden_state, the pooled positions (legacy argmax rule, eos_token_id 2, with EOT padding ties), pooler_output
 * (ModalPrompt's text query), text_embeds, the 77-position row, the vision hidden states, pooler_output and
 * image_embeds (ModalPrompt's image query), and CLIPModel's logits; all within 1e-4, positions exact.
 */
package dev.perennial.clip;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.List;
import java.util.stream.Stream;

import static dev.perennial.clip.ClipGoldens.TOLERANCE;
import static dev.perennial.clip.ClipGoldens.maxAbsDiff;
import static dev.perennial.clip.ClipGoldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class ClipModelGoldenTest {
    static ClipModel model;

    @BeforeAll
    static void load() throws IOException {
        model = ClipModel.load(ClipGoldens.checkpoint());
    }

    @AfterAll
    static void close() throws IOException {
        model.close();
    }

    static Stream<Arguments> backends() {
        return Stream.of(Arguments.of(new CpuBackend()), Arguments.of(ReferenceBackend.INSTANCE));
    }

    private static void assertClose(Tensor golden, Tensor actual, String what) {
        double d = maxAbsDiff(actual, golden);
        assertTrue(d <= TOLERANCE, what + ": max |diff| " + d);
    }

    @Test
    void configOmitsDefaultsThatAreApplied() {
        ClipConfig c = model.config();
        ClipTextConfig t = c.text();
        assertEquals(new ClipTextConfig(300, 32, 37, 2, 4, 77, 1e-5f,
                ClipVisionConfig.Activation.QUICK_GELU, 2), t);
        assertTrue(t.poolsAtArgmax());
        assertEquals(40, c.vision().hiddenSize());
        assertEquals(25, c.vision().numPatches());
        assertEquals(3, c.vision().numChannels());
        assertEquals(24, c.projectionDim());
    }

    @ParameterizedTest
    @MethodSource("backends")
    void textTowerMatchesEveryHiddenStateAndThePooledOutput(Backend be) throws IOException {
        Tensor ids = npy("text_input_ids"), mask = npy("text_attention_mask");
        ClipTextTower.Output o = model.textTower().forward(be, ids, mask);
        Tensor all = npy("text_hidden_states_all");                                 // [3, B, T, D]
        assertEquals(3, o.hiddenStates().size());
        for (int i = 0; i < 3; i++) assertClose(all.select(0, i), o.hiddenStates().get(i), "hidden state " + i);
        assertClose(npy("text_last_hidden_state"), o.lastHiddenState(), "last_hidden_state");
        assertArrayEquals(new long[]{8, 13, 4}, npy("text_pooled_index").toLongArray());
        assertArrayEquals(new int[]{8, 13, 4}, o.pooledPositions());
        assertClose(npy("text_pooler_output"), o.pooledOutput(), "pooler_output");

        ClipModel.TextEmbeddings e = model.encodeText(be, ids, mask);
        assertClose(npy("text_pooler_output"), e.pooledOutput(), "pooler_output");
        assertClose(npy("text_embeds"), e.textEmbeds(), "text_embeds");
    }

    @ParameterizedTest
    @MethodSource("backends")
    void allSeventySevenPositions(Backend be) throws IOException {
        Tensor ids = npy("text_long_input_ids");                                    // [1, 77], no padding
        ClipModel.TextEmbeddings e = model.encodeText(be, ids, null);
        assertArrayEquals(new int[]{76}, model.textTower().forward(be, ids, null).pooledPositions());
        assertClose(npy("text_long_last_hidden_state"), e.lastHiddenState(), "last_hidden_state");
        assertClose(npy("text_long_pooler_output"), e.pooledOutput(), "pooler_output");
        assertClose(npy("text_long_text_embeds"), e.textEmbeds(), "text_embeds");
    }

    @Test
    void aPaddedRowComputesWhatItWouldAlone() throws IOException {
        Backend be = new CpuBackend();
        Tensor ids = npy("text_input_ids"), mask = npy("text_attention_mask");
        ClipModel.TextEmbeddings batch = model.encodeText(be, ids, mask);
        long[] lengths = {9, 14, 5};
        for (int b = 0; b < 3; b++) {
            int n = (int) lengths[b];
            Tensor row = ids.select(0, b).narrow(0, 0, n).unsqueeze(0);
            ClipModel.TextEmbeddings alone = model.encodeText(be, row, null);
            assertTrue(maxAbsDiff(alone.lastHiddenState().select(0, 0),
                    batch.lastHiddenState().select(0, b).narrow(0, 0, n)) <= 1e-5, "row " + b);
            assertTrue(maxAbsDiff(alone.pooledOutput().select(0, 0), batch.pooledOutput().select(0, b)) <= 1e-5, "row " + b);
        }
    }

    @ParameterizedTest
    @MethodSource("backends")
    void visionTowerAndImageEmbeds(Backend be) throws IOException {
        Tensor pixels = npy("pixel_values");
        List<Tensor> states = model.visionTower().hiddenStates(be, pixels, 2);
        Tensor all = npy("vision_hidden_states_all");                               // [3, 2, 26, 40]
        for (int i = 0; i < 3; i++) assertClose(all.select(0, i), states.get(i), "vision hidden state " + i);
        ClipModel.ImageEmbeddings e = model.encodeImage(be, pixels);
        assertClose(npy("vision_last_hidden_state"), e.lastHiddenState(), "vision last_hidden_state");
        assertClose(npy("vision_pooler_output"), e.pooledOutput(), "vision pooler_output");
        assertClose(npy("image_embeds"), e.imageEmbeds(), "image_embeds");
    }

    @Test
    void clipLogits() throws IOException {
        Backend be = new CpuBackend();
        Tensor text = model.encodeText(be, npy("text_input_ids"), npy("text_attention_mask")).textEmbeds();
        Tensor image = model.encodeImage(be, npy("pixel_values")).imageEmbeds();
        Tensor perText = model.logitsPerText(be, text, image);                      // [3, 2]
        assertClose(npy("clip_logits_per_text"), perText, "logits_per_text");
        assertClose(npy("clip_logits_per_image"), be.contiguous(perText.transpose(0, 1)), "logits_per_image");
    }
}
