/*
 * Non-finite model inputs are errors, not all-NaN outputs (issue 20, item 4): pixel values into LLaVA's tower,
 * prompt embeddings of an inference pass and of a saved prompt file, and pixel values into the CLIP image tower.
 * Each message names the input, the offending value and where it sits. Runs on the golden tiny checkpoints.
 */
package dev.perennial.llava;

import dev.perennial.clip.ClipModel;
import dev.perennial.io.Npy;
import dev.perennial.prompt.SoftPrompt;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NonFiniteInputsTest {
    private static final Backend BE = new CpuBackend();

    @TempDir
    Path tmp;

    private static Path golden() throws URISyntaxException {
        return Path.of(NonFiniteInputsTest.class.getResource("/golden").toURI());
    }

    @Test
    void nanPixelsAreRefusedByLlava() throws Exception {
        Path g = golden().resolve("golden-tiny-llava-hf");
        Tensor px = Npy.read(g.resolve("pixel_values.npy"));
        float[] v = px.toFloatArray();
        v[7] = Float.POSITIVE_INFINITY;
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            long[] ids = Npy.read(g.resolve("input_ids.npy")).toLongArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(BE, List.of(ids), Tensor.of(v, px.shape()), null));
            assertTrue(e.getMessage().startsWith("pixel values hold Infinity (image 0 of 1, element 7)"), e.getMessage());
        }
    }

    @Test
    void nanPromptEmbeddingsAreRefusedAtInference() throws Exception {
        Path g = golden().resolve("golden-tiny-llava-hf");
        try (LlavaModel m = LlavaModel.load(golden().resolve("tiny-llava-hf"))) {
            int hidden = m.config().text().hiddenSize();
            float[] p = new float[2 * hidden];
            p[hidden + 3] = Float.NaN;
            PromptInsertion prompt = new PromptInsertion(Tensor.of(p, 2, hidden), PromptInsertion.Placement.AFTER_BOS);
            long[] ids = Npy.read(g.resolve("input_ids.npy")).toLongArray();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> m.forward(BE, List.of(ids), Npy.read(g.resolve("pixel_values.npy")), null, prompt));
            assertEquals("prompt embeddings (sample 0) hold NaN (row 1 of 2, element 3): the model needs finite inputs", e.getMessage());
        }
    }

    @Test
    void aSavedPromptWithNanIsRefusedWhenLoaded() throws IOException {
        SoftPrompt s = SoftPrompt.initial(3, 8, 1, PromptInsertion.Placement.AFTER_BOS);
        s.insertion().embeddings().storage().setFloat(9, Float.NaN);                // row 1, element 1
        s.save(tmp);
        Path file = tmp.resolve(SoftPrompt.FILE);
        IOException e = assertThrows(IOException.class, () -> SoftPrompt.load(file, 8));
        assertEquals(file + ": prompt embeddings hold NaN (row 1 of 3, element 1): the model needs finite inputs", e.getMessage());
    }

    @Test
    void nanPixelsAreRefusedByClip() throws Exception {
        Path clip = golden().resolve("clip");
        Tensor px = Npy.read(clip.resolve("golden/tiny-clip-P/pixel_values.npy"));
        float[] v = px.toFloatArray();
        v[v.length - 1] = Float.NaN;
        try (ClipModel m = ClipModel.load(clip.resolve("tiny-clip-P"))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> m.encodeImage(BE, Tensor.of(v, px.shape())));
            assertTrue(e.getMessage().startsWith("pixel values hold NaN (image " + (px.size(0) - 1) + " of " + px.size(0)), e.getMessage());
        }
    }
}
