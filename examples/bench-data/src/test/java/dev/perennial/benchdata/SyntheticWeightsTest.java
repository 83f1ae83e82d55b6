/*
 * `perennial synth`'s writer (SyntheticWeights, ModelShape): the tiny shape has exactly the golden test checkpoint's
 * tensors and shapes; a sharded write has transformers' file names and index and loads through the normal path in
 * every precision, with O(1) activations (finite logits of moderate spread, a loss near ln V); the bytes depend on
 * the seed only; stored values are the definition's, rounded once to the storage type; and the LLaVA-1.5 shapes
 * have the published parameter counts (7B ≈ 7.06e9, 13B ≈ 13.35e9) without any weight being written.
 */
package dev.perennial.benchdata;

import dev.perennial.io.SafetensorsFile;
import dev.perennial.io.TensorInfo;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

class SyntheticWeightsTest {
    static final Backend BE = new CpuBackend();

    @TempDir
    Path tmp;

    @Test
    void tinyHasTheGoldenCheckpointsTensors() throws IOException {
        Map<String, String> golden = new TreeMap<>(), ours = new TreeMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(Golden.dir().resolve("tiny-llava-hf/model.safetensors"))) {
            for (String n : f.names()) golden.put(n, Arrays.toString(f.info(n).shape()));
        }
        for (SyntheticWeights.Spec s : SyntheticWeights.specs(ModelShape.byName("tiny"))) ours.put(s.name(), Arrays.toString(s.shape()));
        assertEquals(golden, ours);
    }

    @Test
    void shardedCheckpointLoadsInEveryPrecisionWithModerateActivations() throws IOException {
        ModelShape tiny = ModelShape.byName("tiny");
        for (DType dt : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            Path dir = Files.createDirectories(tmp.resolve(dt.name()));
            SyntheticWeights.write(dir, tiny, dt, 7, 60_000, null);
            List<String> shards;
            try (var s = Files.list(dir)) {
                shards = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors")).sorted().toList();
            }
            assertTrue(shards.size() >= 3, "small shards: " + shards);
            assertEquals(String.format("model-00001-of-%05d.safetensors", shards.size()), shards.get(0));
            String index = Files.readString(dir.resolve("model.safetensors.index.json"));
            assertTrue(index.contains("\"total_size\": " + tiny.parameterCount() * dt.byteSize()), index);
            assertTrue(Files.exists(dir.resolve("generation_config.json")));
            try (LlavaModel m = LlavaModel.load(dir); TensorSource src = TensorSource.open(dir)) {
                assertEquals(tiny.parameterCount(), src.parameterCount());
                assertEquals(tiny.text(), m.config().text());
                for (Tensor w : m.weights().values()) assertEquals(dt, w.dtype());
                int s = tiny.vision().imageSize();
                Tensor pixels = Tensor.zeros(1, 3, s, s);
                long[] ids = {1, 300, 5, 6, 7, 8, 9, 10};
                LlavaModel.Output o = m.forward(BE, List.of(ids), pixels, List.of(new long[]{-100, -100, 5, 6, 7, 8, 9, 10}));
                float[] logits = o.logits().toFloatArray();
                double sum = 0, sq = 0;
                for (float f : logits) {
                    assertTrue(Float.isFinite(f));
                    sum += f;
                    sq += (double) f * f;
                }
                double std = Math.sqrt(sq / logits.length - Math.pow(sum / logits.length, 2));
                assertTrue(std > 0.1 && std < 10, dt + ": logits spread " + std + " is not O(1)");
                assertTrue(Math.abs(o.loss() - Math.log(320)) < 2.5, dt + ": loss " + o.loss() + " far from ln V");
            }
        }
    }

    @Test
    void bytesDependOnTheSeedOnlyAndValuesAreTheDefinition() throws IOException {
        ModelShape tiny = ModelShape.byName("tiny");
        Path a = Files.createDirectories(tmp.resolve("a")), b = Files.createDirectories(tmp.resolve("b")), c = Files.createDirectories(tmp.resolve("c"));
        SyntheticWeights.write(a, tiny, DType.BF16, 3, SyntheticWeights.DEFAULT_MAX_SHARD_BYTES, null);
        SyntheticWeights.write(b, tiny, DType.BF16, 3, SyntheticWeights.DEFAULT_MAX_SHARD_BYTES, null);
        SyntheticWeights.write(c, tiny, DType.BF16, 4, SyntheticWeights.DEFAULT_MAX_SHARD_BYTES, null);
        byte[] x = Files.readAllBytes(a.resolve("model.safetensors"));
        assertArrayEquals(x, Files.readAllBytes(b.resolve("model.safetensors")));
        assertFalse(Arrays.equals(x, Files.readAllBytes(c.resolve("model.safetensors"))));
        assertFalse(Files.exists(a.resolve("model.safetensors.index.json")), "one shard needs no index");
        String name = "language_model.model.layers.1.mlp.down_proj.weight";
        try (SafetensorsFile f = SafetensorsFile.open(a.resolve("model.safetensors"))) {
            TensorInfo info = f.info(name);
            float[] stored = f.tensor(name).to(DType.F32).toFloatArray();
            long key = SyntheticWeights.tensorKey(3, name);
            double std = 1 / Math.sqrt(96) / Math.sqrt(2 * 2);                            // 1/√fan_in, residual 1/√(2L)
            for (int i = 0; i < stored.length; i++) {
                float v = SyntheticWeights.value(key, i, std);
                assertEquals(Half.bf16ToFloat(Half.floatToBf16(v)), stored[i], 0f, "element " + i);
                assertTrue(Math.abs(v) <= Math.sqrt(3) * std);
            }
            assertArrayEquals(new int[]{64, 96}, info.shape());
            assertEquals(1f, f.tensor("language_model.model.norm.weight").to(DType.F32).toFloatArray()[7]);
        }
    }

    @Test
    void llavaShapesHaveThePublishedSizes() {
        long p7 = ModelShape.byName("llava-1.5-7b").parameterCount(), p13 = ModelShape.byName("llava-1.5-13b").parameterCount();
        assertTrue(p7 > 7.05e9 && p7 < 7.07e9, "7B: " + p7);
        assertTrue(p13 > 13.3e9 && p13 < 13.4e9, "13B: " + p13);
        long p221 = ModelShape.byName("bench-221m").parameterCount();
        assertEquals(221_184_768L, p221, "the training-engine issue's 221M model");
        var shards = SyntheticWeights.shards(SyntheticWeights.specs(ModelShape.byName("llava-1.5-7b")), DType.BF16, SyntheticWeights.DEFAULT_MAX_SHARD_BYTES);
        assertEquals(3, shards.size(), "llava-hf's 7B ships as three 5 GB shards in half precision: " + shards.keySet());
        var e = assertThrows(IllegalArgumentException.class, () -> ModelShape.byName("llava-7b"));
        assertTrue(e.getMessage().contains("tiny, bench-221m, llava-1.5-7b, llava-1.5-13b"), e.getMessage());
    }
}
