/*
 * The golden files produced by the reference framework (test resources golden/, copied from the shared
 * golden set; see docs/methods/llava-numerics.md "Formats and tensor layouts") read correctly:
 *   - tiny-llava-hf/model.safetensors: 64 tensors, 127,018 parameters, names in file order as recorded by the
 *     exporter, and every element bit-identical to the bytes found by parsing the file independently here;
 *   - every golden .npy has the dtype and shape of golden.json, and its sum and max |x| match;
 *   - grads.safetensors holds HF parameter names with the model's shapes and equals the grad_*.npy copies;
 *   - tiny-llava-orig (original LLaVA names, plus vision_tower/) holds the same values under the mapped names.
 */
package dev.perennial.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GoldenFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path GOLDEN = golden();
    private static final Path HF = GOLDEN.resolve("tiny-llava-hf");
    private static final Path RUN = GOLDEN.resolve("golden-tiny-llava-hf");
    private static final Path ORIG = GOLDEN.resolve("tiny-llava-orig");

    private static Path golden() {
        try {
            return Path.of(GoldenFilesTest.class.getResource("/golden").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void tinyLlavaHfHas64TensorsAnd127018ParametersInExporterOrder() throws IOException {
        JsonNode summary = JSON.readTree(RUN.resolve("summary.json").toFile());
        try (TensorSource s = TensorSource.open(HF)) {
            assertEquals(64, s.names().size());
            assertEquals(127_018, s.parameterCount());
            assertEquals(summary.get("n_params").asLong(), s.parameterCount());
            assertEquals(strings(summary.get("tensor_names_in_file_order")), s.names());
            assertEquals(Map.of("format", "pt"), s.metadata());
        }
    }

    @Test
    void tinyLlavaHfIsTheExportedFile() throws IOException, NoSuchAlgorithmException {
        JsonNode summary = JSON.readTree(RUN.resolve("summary.json").toFile());
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(HF.resolve("model.safetensors")));
        assertEquals(summary.get("checkpoint_sha256").asText(), HexFormat.of().formatHex(digest));
    }

    @Test
    void tinyLlavaHfLoadsBitExactly() throws IOException {
        // Independent parse: u64 LE header length, plain Jackson tree, raw little-endian words at the offsets.
        Path file = HF.resolve("model.safetensors");
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) raw.getLong(0);
        JsonNode header = JSON.readTree(new String(raw.array(), 8, n, StandardCharsets.UTF_8));
        int checked = 0;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode entry = e.getValue();
                assertEquals("F32", entry.get("dtype").asText());
                Tensor t = f.tensor(e.getKey());
                assertEquals(DType.F32, t.dtype());
                assertArrayEquals(JSON.convertValue(entry.get("shape"), int[].class), t.shape(), e.getKey());
                int begin = entry.get("data_offsets").get(0).asInt(), end = entry.get("data_offsets").get(1).asInt();
                float[] values = t.toFloatArray();
                assertEquals((end - begin) / 4, values.length, e.getKey());
                for (int i = 0; i < values.length; i++) {
                    if (raw.getInt(8 + n + begin + 4 * i) != Float.floatToRawIntBits(values[i])) {
                        throw new AssertionError(e.getKey() + "[" + i + "] differs from the file's bytes");
                    }
                }
                checked++;
            }
        }
        assertEquals(64, checked);
    }

    @Test
    void everyGoldenNpyMatchesGoldenJson() throws IOException {
        JsonNode tensors = JSON.readTree(RUN.resolve("golden.json").toFile()).get("tensors");
        assertEquals(25, tensors.size());
        for (Iterator<Map.Entry<String, JsonNode>> it = tensors.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode g = e.getValue();
            Tensor t = Npy.read(RUN.resolve(g.get("file").asText()));
            String name = e.getKey();
            assertTrue(g.get("dtype").asText().matches("float32|int64"), name);
            assertEquals(g.get("dtype").asText().equals("float32") ? DType.F32 : DType.I64, t.dtype(), name);
            assertArrayEquals(JSON.convertValue(g.get("shape"), int[].class), t.shape(), name);

            // golden sums are float64 sums of the stored values; a double sum in another order differs by at
            // most (n-1) * 2^-53 * sum|x|. A float32 accumulation would be ~1e-7 * sum|x| off and fail.
            double[] x = t.toDoubleArray();
            double sum = 0, sumAbs = 0, absMax = 0;
            for (double v : x) {
                sum += v;
                sumAbs += Math.abs(v);
                absMax = Math.max(absMax, Math.abs(v));
            }
            double tolerance = (x.length - 1) * 0x1p-53 * sumAbs;
            assertEquals(g.get("sum").asDouble(), sum, tolerance, name + " sum");
            assertEquals(g.get("abs_max").asDouble(), absMax, 0.0, name + " abs_max");
        }
    }

    @Test
    void gradsAreKeyedByHfParameterNamesWithTheModelsShapes() throws IOException {
        JsonNode summary = JSON.readTree(RUN.resolve("summary.json").toFile());
        try (TensorSource grads = TensorSource.open(RUN.resolve("grads.safetensors"));
             TensorSource model = TensorSource.open(HF)) {
            List<String> expected = new ArrayList<>(model.names());
            expected.removeAll(strings(summary.get("params_without_grad")));
            assertEquals(46, expected.size());
            assertEquals(expected, grads.names());
            for (String name : grads.names()) {
                assertArrayEquals(model.info(name).shape(), grads.info(name).shape(), name);
                assertEquals(DType.F32, grads.info(name).dtype(), name);
            }
            Map<String, String> npyCopies = Map.of(
                    "grad_lm_head_weight.npy", "language_model.lm_head.weight",
                    "grad_last_o_proj_weight.npy", "language_model.model.layers.1.self_attn.o_proj.weight",
                    "grad_projector_linear_1_weight.npy", "multi_modal_projector.linear_1.weight",
                    "grad_patch_embedding_weight.npy", "vision_tower.vision_model.embeddings.patch_embedding.weight");
            for (Map.Entry<String, String> e : npyCopies.entrySet()) {
                Tensor fromNpy = Npy.read(RUN.resolve(e.getKey()));
                assertArrayEquals(TestTensors.logicalBytes(fromNpy), TestTensors.logicalBytes(grads.tensor(e.getValue())),
                        e.getKey());
            }
        }
    }

    @Test
    void originalLlavaCheckpointHoldsTheSameWeightsUnderMappedNames() throws IOException {
        JsonNode mapping = JSON.readTree(ORIG.resolve("key_mapping_hf_to_original.json").toFile());
        try (TensorSource hf = TensorSource.open(HF);
             TensorSource orig = TensorSource.open(ORIG);
             TensorSource tower = TensorSource.open(ORIG.resolve("vision_tower"))) {
            assertEquals(64, orig.names().size());
            assertEquals(127_018, orig.parameterCount());
            assertEquals(64, mapping.size());
            for (Iterator<Map.Entry<String, JsonNode>> it = mapping.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                assertArrayEquals(TestTensors.logicalBytes(hf.tensor(e.getKey())),
                        TestTensors.logicalBytes(orig.tensor(e.getValue().asText())), e.getKey());
            }
            assertEquals(39, tower.names().size());
            for (String name : tower.names()) {
                assertArrayEquals(TestTensors.logicalBytes(hf.tensor("vision_tower." + name)),
                        TestTensors.logicalBytes(tower.tensor(name)), name);
            }
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> l = new ArrayList<>();
        array.forEach(v -> l.add(v.asText()));
        return l;
    }
}
