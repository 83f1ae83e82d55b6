/*
 * The tiny golden LLaVA loaded with BF16 weights (a BF16 copy of the checkpoint, as a 7B would be stored) runs on the
 * CUDA backend over the emulated device, GEMMs through the BF16 GemmEx plan (PlannedGemm: the weights stay BF16 and
 * are read in place; F32 activations go in as three exact BF16 parts), and agrees with the reference and the CPU
 * backends on the same checkpoint:
 *  - forward logits within 1e-4 of ReferenceBackend's, the golden logits tolerance (docs/methods/llava-numerics.md):
 *    both multiply the same BF16 weights by F32 activations exactly (the reference accumulates in double), so only
 *    float32 rounding separates them, as in the F32 golden comparison;
 *  - forward logits within 0.2 of the CPU backend's, and greedy generation: the same tokens, step logits within 0.2.
 *    The CPU rounds the activations to BF16 in its BF16 products: on AMX tiles for products of many rows
 *    (docs/kernels.md, "BF16 products on AMX tiles") and in the AVX512-BF16 dot product of one-row products
 *    (docs/architecture.md, "Tensors"); the device does not. Rounding one operand of each product to BF16 is the same
 *    relative perturbation (2^-9) as rounding the weights, for which ModelLoadingTest bounds this model's logits by
 *    0.2; the same bound applies here.
 * Every GEMM of the model is checked to go through BF16 calls: a forward makes no F32 call with a weight operand.
 */
package dev.perennial.cuda;

import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.Generator;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.perennial.cuda.CudaBackendGoldenTest.maxAbsDiff;
import static dev.perennial.cuda.CudaBackendGoldenTest.npy;
import static dev.perennial.cuda.CudaBackendGoldenTest.root;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bf16ModelOnDeviceTest {
    @TempDir
    static Path tmp;

    static LlavaModel model;
    static Tensor pixels;

    @BeforeAll
    static void load() throws IOException {
        Path src = root().resolve("tiny-llava-hf");
        Map<String, Tensor> weights = new LinkedHashMap<>();
        try (TensorSource s = TensorSource.open(src.resolve("model.safetensors"))) {
            for (String n : s.names()) weights.put(n, s.tensor(n).to(DType.BF16));
        }
        Files.copy(src.resolve("config.json"), tmp.resolve("config.json"));
        SafetensorsWriter.write(tmp.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        model = LlavaModel.load(tmp);
        for (Tensor w : model.weights().values()) assertEquals(DType.BF16, w.dtype(), "weights stay BF16 on load");
        pixels = npy("pixel_values");
    }

    @AfterAll
    static void close() throws IOException { model.close(); }

    @Test
    void forwardLogitsMatchTheCpuBackend() throws IOException {
        long[] ids = npy("input_ids").toLongArray();
        PlannedGemmTest.Recording engine = new PlannedGemmTest.Recording();
        CudaDevice base = CudaDevice.emulated(false);
        CudaBackend be = new CudaBackend(new CudaDevice("emulated, recording GEMMs", base.kernels(),
                new PlannedGemm(base.kernels(), engine, false)));
        Tensor device = model.forward(be, List.of(ids), pixels, null).logits();
        Tensor reference = model.forward(dev.perennial.tensor.ReferenceBackend.INSTANCE, List.of(ids), pixels, null).logits();
        double d = maxAbsDiff(device, reference);
        assertTrue(d <= 1e-4, "BF16 logits differ from the reference backend's by " + d);
        double cpu = maxAbsDiff(device, model.forward(new CpuBackend(), List.of(ids), pixels, null).logits());
        assertTrue(cpu <= 0.2, "BF16 logits differ from the CPU backend's by " + cpu);
        long weightCalls = engine.calls.stream().filter(c -> c.batch() == 1).count();
        assertTrue(weightCalls > 0 && engine.calls.stream().filter(c -> c.batch() == 1).allMatch(c -> c.inputs() == DType.BF16),
                "every product with a weight is a BF16 GemmEx call");
    }

    @Test
    void greedyGenerationMatchesTheCpuBackend() throws IOException {
        long[] prompt = npy("generate_prompt_ids").toLongArray();
        GenerationConfig greedy = GenerationConfig.greedy(8, 2);
        Generator.Result device = new Generator(model, CudaBackend.emulated()).generate(List.of(prompt), pixels, greedy, null);
        Generator.Result cpu = new Generator(model, new CpuBackend()).generate(List.of(prompt), pixels, greedy, null);
        assertArrayEquals(cpu.tokens().get(0), device.tokens().get(0));
        for (int s = 0; s < cpu.stepLogits().size(); s++) {
            double d = maxAbsDiff(device.stepLogits().get(s), cpu.stepLogits().get(s));
            assertTrue(d <= 0.2, "step " + s + " logits differ by " + d);
        }
    }
}
