/*
 * Generated checkpoints load through the normal path (config parsing, name and shape checks) in every storage
 * precision, tied embeddings included, and are deterministic in their seed; a truncated KV cache replays a
 * step exactly.
 */
package dev.perennial.benchdata;

import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.KvCache;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.llava.LlamaDecoder;
import dev.perennial.llava.LlavaModel;
import dev.perennial.io.TensorSource;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SyntheticCheckpointTest {
    static final Backend BE = new CpuBackend();
    static final LlamaConfig TEXT = new LlamaConfig(48, 80, 2, 6, 3, 101, 1e-5f, 10000f, 128, true, 1, 2);
    static final ClipVisionConfig VISION = new ClipVisionConfig(24, 40, 3, 4, 16, 8, 3, 1e-5f, ClipVisionConfig.Activation.QUICK_GELU);

    @TempDir
    Path tmp;

    @Test
    void loadsInEveryPrecisionAndRuns() throws IOException {
        for (DType dt : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            Path dir = SyntheticCheckpoint.write(tmp.resolve(dt.name()), TEXT, VISION, 100, dt, 5);
            try (LlavaModel m = LlavaModel.load(dir)) {
                assertEquals(TEXT, m.config().text());
                assertEquals(VISION, m.config().vision());
                assertFalse(m.weights().containsKey("language_model.lm_head.weight"), "tied head is not stored");
                for (Tensor w : m.weights().values()) assertEquals(dt, w.dtype());
                Tensor pixels = Tensor.zeros(1, 3, 16, 16);
                LlavaModel.Output o = m.forward(BE, List.of(new long[]{1, 100, 5, 6, 7}), pixels, List.of(new long[]{-100, -100, 5, 6, 7}));
                assertArrayEquals(new int[]{1, 5 - 1 + 4, 101}, o.logits().shape());
                for (float f : o.logits().toFloatArray()) assertTrue(Float.isFinite(f));
                assertTrue(o.loss() > 0 && o.loss() < 2 * Math.log(101), "random weights give near-uniform loss, got " + o.loss());
            }
        }
    }

    @Test
    void sameSeedSameBytes() throws IOException {
        Path a = SyntheticCheckpoint.write(tmp.resolve("a"), TEXT, VISION, 100, DType.F32, 9);
        Path b = SyntheticCheckpoint.write(tmp.resolve("b"), TEXT, VISION, 100, DType.F32, 9);
        Path c = SyntheticCheckpoint.write(tmp.resolve("c"), TEXT, VISION, 100, DType.F32, 10);
        assertArrayEquals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(c.resolve("model.safetensors"))));
        try (TensorSource s = TensorSource.open(a)) {
            assertTrue(s.parameterCount() > 0);
        }
    }

    @Test
    void truncatedCacheReplaysAStep() throws IOException {
        Path dir = SyntheticCheckpoint.write(tmp.resolve("kv"), TEXT, VISION, 100, DType.F32, 3);
        try (LlavaModel m = LlavaModel.load(dir); KvCache cache = new KvCache(TEXT, 1, 16)) {
            LlamaDecoder d = m.decoder();
            Tensor prompt = d.embed(BE, Tensor.ofLongs(new long[]{1, 5, 6, 7}, 1, 4));
            d.forward(BE, prompt, Tensor.ofLongs(new long[]{0, 1, 2, 3}, 1, 4), null, cache);
            Tensor step = d.embed(BE, Tensor.ofLongs(new long[]{9}, 1, 1));
            Tensor first = d.forward(BE, step, Tensor.ofLongs(new long[]{4}, 1, 1), null, cache).normed();
            assertEquals(5, cache.length());
            cache.truncate(4);
            Tensor again = d.forward(BE, step, Tensor.ofLongs(new long[]{4}, 1, 1), null, cache).normed();
            assertArrayEquals(first.toFloatArray(), again.toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> cache.truncate(6));
        }
    }
}
