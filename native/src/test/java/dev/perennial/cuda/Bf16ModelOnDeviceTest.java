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

    /**
     * On the CPU with the native row kernel, a BF16 model's KV cache is BF16 (read in place by decode steps); the
     * reference and device backends keep float32. Decoding through the BF16 cache picks the same greedy tokens as
     * through a float32 one, and its logits stay within this class's CPU bound: the cache adds one bfloat16 rounding
     * of each key and value, the same kind of rounding the BF16 products already apply to their inputs.
     */
    @Test
    void aBf16ModelDecodesOnTheCpuThroughABf16Cache() {
        CpuBackend cpu = new CpuBackend();
        dev.perennial.llava.LlamaDecoder dec = model.decoder();
        assertEquals(DType.BF16, dec.kvCacheType(cpu));
        assertEquals(DType.F32, dec.kvCacheType(dev.perennial.tensor.ReferenceBackend.INSTANCE));
        assertEquals(DType.F32, dec.kvCacheType(CudaBackend.emulated()));
        long[] prompt = {1, 17, 290, 33, 102, 7, 95, 41, 12, 300, 28, 5};
        int steps = 6, t = prompt.length;
        List<long[]> tokens = new java.util.ArrayList<>();
        List<List<Tensor>> logits = new java.util.ArrayList<>();
        for (DType kv : new DType[]{DType.F32, DType.BF16}) {
            long[] picked = new long[steps];
            List<Tensor> stepLogits = new java.util.ArrayList<>();
            try (dev.perennial.llava.KvCache cache = new dev.perennial.llava.KvCache(cpu, model.config().text(), 1,
                    t + steps, new int[model.config().text().numLayers()], kv)) {
                assertEquals(kv, cache.dtype());
                long[] pos = new long[t];
                for (int i = 0; i < t; i++) pos[i] = i;
                boolean[][] valid = {new boolean[t]};
                java.util.Arrays.fill(valid[0], true);
                Tensor h = dec.forward(cpu, dec.embed(cpu, Tensor.ofLongs(prompt, 1, t)), Tensor.ofLongs(pos, 1, t), valid, cache).normed();
                Tensor l = dec.logits(cpu, h.narrow(1, t - 1, 1)).reshape(1, -1);
                for (int s = 0; s < steps; s++) {
                    stepLogits.add(l);
                    picked[s] = cpu.argmax(l).toLongArray()[0];
                    if (s + 1 == steps) break;
                    h = dec.forward(cpu, dec.embed(cpu, Tensor.ofLongs(new long[]{picked[s]}, 1, 1)),
                            Tensor.ofLongs(new long[]{t + s}, 1, 1), new boolean[][]{{true}}, cache).normed();
                    l = dec.logits(cpu, h).reshape(1, -1);
                }
            }
            tokens.add(picked);
            logits.add(stepLogits);
        }
        assertArrayEquals(tokens.get(0), tokens.get(1), "greedy tokens through F32 and BF16 caches");
        double worst = 0;
        for (int s = 0; s < steps; s++) worst = Math.max(worst, maxAbsDiff(logits.get(0).get(s), logits.get(1).get(s)));
        assertTrue(worst <= 0.2, "BF16 cache logits differ from the F32 cache's by " + worst);
        assertTrue(worst > 0, "the BF16 cache rounded nothing: it was not used");
    }
}
