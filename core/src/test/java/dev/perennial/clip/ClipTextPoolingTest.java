/*
 * Which position the text tower pools (HF CLIPTextTransformer since PR #24773, core/src/test/resources/golden/clip/README.md "Text tower"
 * step 4): argmax of the ids (first of equal maxima) for the legacy eos_token_id 2, else the first position of
 * eos_token_id; and a row without that id is refused. End to end, the tiny checkpoint with eos_token_id 299
 * (its real EOT id) pools the same positions as with the legacy 2, while "id == 2" would pool the wrong token.
 */
package dev.perennial.clip;

import dev.perennial.llava.ClipVisionConfig.Activation;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.perennial.clip.ClipGoldens.TOLERANCE;
import static dev.perennial.clip.ClipGoldens.maxAbsDiff;
import static dev.perennial.clip.ClipGoldens.npy;
import static org.junit.jupiter.api.Assertions.*;

class ClipTextPoolingTest {
    @TempDir
    Path tmp;

    private static ClipTextConfig withEos(int eos) {
        return new ClipTextConfig(300, 32, 37, 2, 4, 77, 1e-5f, Activation.QUICK_GELU, eos);
    }

    @Test
    void legacyRuleTakesTheFirstHighestId() {
        long[][] ids = {{298, 17, 2, 145, 299, 299, 299}, {298, 5, 250, 299}, {299, 298, 299}};
        assertArrayEquals(new int[]{4, 3, 0}, ClipTextTower.pooledPositions(withEos(2), ids));
    }

    @Test
    void otherwiseTheFirstEndOfTextId() {
        ClipTextConfig eos150 = withEos(150);
        long[][] ids = {{298, 150, 5, 299}, {298, 7, 150, 150}};
        assertArrayEquals(new int[]{1, 2}, ClipTextTower.pooledPositions(eos150, ids));
        assertArrayEquals(new int[]{3, 0}, ClipTextTower.pooledPositions(withEos(2), ids));   // the two rules differ here
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClipTextTower.pooledPositions(eos150, new long[][]{{298, 150}, {298, 5, 299}}));
        assertEquals("input ids row 1 holds no end-of-text id 150 (eos_token_id) to pool at", e.getMessage());
    }

    @Test
    void theCheckpointWithItsRealEosIdPoolsTheSameTokens() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("eos299"));
        String config = Files.readString(ClipGoldens.checkpoint().resolve("config.json")).replace("\"eos_token_id\": 2", "\"eos_token_id\": 299");
        Files.writeString(dir.resolve("config.json"), config);
        Files.copy(ClipGoldens.checkpoint().resolve("model.safetensors"), dir.resolve("model.safetensors"));
        try (ClipModel m = ClipModel.load(dir)) {
            assertFalse(m.config().text().poolsAtArgmax());
            Tensor ids = npy("text_input_ids");
            ClipTextTower.Output o = m.textTower().forward(new CpuBackend(), ids, npy("text_attention_mask"));
            assertArrayEquals(new int[]{8, 13, 4}, o.pooledPositions());
            assertTrue(maxAbsDiff(o.pooledOutput(), npy("text_pooler_output")) <= TOLERANCE);
        }
        long[][] rows = {npy("text_input_ids").select(0, 0).toLongArray()};
        assertEquals(2, rows[0][2]);                               // id 2 is an ordinary token in row 0
        assertArrayEquals(new int[]{8}, ClipTextTower.pooledPositions(withEos(2), rows));
    }
}
