/*
 * The whole tiny-LLaVA golden model through CudaBackend on the emulated device: forward
 * logits and loss, greedy generation with the KV cache (step logits and tokens), and the backward pass (every
 * parameter gradient, the input-embedding and pixel gradients) against the reference implementation's goldens
 * with the spec's tolerances (docs/methods/llava-numerics.md: logits 1e-4, per-token loss 2e-5, mean loss 1e-5; gradients
 * 1e-4 absolute or 1e-3 relative to the tensor's abs max). The golden files are copies of core's test
 * resources. The test also pins which ops may still run on the host (HostFallback), so a kernel that silently
 * stops being used fails here.
 */
package dev.perennial.cuda;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.io.Npy;
import dev.perennial.io.TensorSource;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.Generator;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CudaBackendGoldenTest {
    /** Ops that have no kernel yet and may run on the host; anything else falling back fails the test. */
    static final Set<String> ALLOWED_HOST_OPS = Set.of("topk");

    static LlavaModel model;
    static Tensor pixels;
    static long[] ids, labels;

    @BeforeAll
    static void load() throws IOException {
        model = LlavaModel.load(root().resolve("tiny-llava-hf"));
        pixels = npy("pixel_values");
        ids = npy("input_ids").toLongArray();
        labels = npy("labels").toLongArray();
    }

    @AfterAll
    static void close() throws IOException { model.close(); }

    @Test
    void forwardLogitsAndLossMatchTheReference() throws IOException {
        CudaBackend be = CudaBackend.emulated();
        LlavaModel.Output out = model.forward(be, List.of(ids), pixels, List.of(labels));
        double d = maxAbsDiff(out.logits(), npy("logits"));
        assertTrue(d <= 1e-4, "logits differ by " + d);
        assertTrue(maxAbsDiff(out.perTokenLoss().reshape(47), npy("per_token_loss")) <= 2e-5);
        assertEquals(9.329628944, out.loss(), 1e-5);
        assertOnlyAllowedFallbacks(be);
    }

    /**
     * The same forward with the device's cuDNN route on, cuDNN stood in for by EmulatedDnn: the CLIP patch embedding
     * is one cuDNN convolution (recorded) and the logits and loss keep the golden values. (The golden model's
     * attention is F32, which stays on the hand-written kernels: cuDNN's SDPA takes BF16 operands.)
     */
    @Test
    void forwardThroughTheCudnnRouteMatchesTheReference() throws IOException {
        dev.perennial.cuda.dnn.EmulatedDnn dnn = new dev.perennial.cuda.dnn.EmulatedDnn();
        CudaBackend be = new CudaBackend(CudaDevice.emulated().withDnn(dnn));
        LlavaModel.Output out = model.forward(be, List.of(ids), pixels, List.of(labels));
        double d = maxAbsDiff(out.logits(), npy("logits"));
        assertTrue(d <= 1e-4, "logits differ by " + d);
        assertTrue(maxAbsDiff(out.perTokenLoss().reshape(47), npy("per_token_loss")) <= 2e-5);
        assertEquals(9.329628944, out.loss(), 1e-5);
        assertEquals(1, dnn.calls().size(), "one cuDNN call: the patch embedding");
        assertNotNull(dnn.calls().get(0).conv());
        assertOnlyAllowedFallbacks(be);
    }

    @Test
    void greedyGenerationWithTheKvCacheMatchesTheReference() throws IOException {
        CudaBackend be = CudaBackend.emulated();
        long[] prompt = npy("generate_prompt_ids").toLongArray();
        Generator.Result r = new Generator(model, be).generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 2), null);
        assertArrayEquals(npy("generate_new_tokens").toLongArray(), r.tokens().get(0));
        Tensor golden = npy("generate_step_logits");                                   // [8, 320]
        for (int s = 0; s < 8; s++) {
            double d = maxAbsDiff(r.stepLogits().get(s).reshape(320), golden.select(0, s));
            assertTrue(d <= 1e-4, "step " + s + " logits differ by " + d);
        }
        assertOnlyAllowedFallbacks(be);
    }

    /**
     * The decode steps of the same generation run the split-K decode kernel (decode_attention.cu) in every LLM layer,
     * counted through a recording launcher table, and still give the golden tokens and step logits.
     */
    @Test
    void decodeStepsUseTheSplitKernelAndKeepTheGoldenTokens() throws IOException {
        Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();
        CudaBackend be = recording(calls);
        long[] prompt = npy("generate_prompt_ids").toLongArray();
        Generator.Result r = new Generator(model, be).generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 2), null);
        assertArrayEquals(npy("generate_new_tokens").toLongArray(), r.tokens().get(0));
        Tensor golden = npy("generate_step_logits");                                   // [8, 320]
        for (int s = 0; s < 8; s++) {
            double d = maxAbsDiff(r.stepLogits().get(s).reshape(320), golden.select(0, s));
            assertTrue(d <= 1e-4, "step " + s + " logits differ by " + d);
        }
        // 8 new tokens: the prompt's forward gives the first, 7 one-token decode steps the others
        assertEquals(7 * model.config().text().numLayers(), calls.getOrDefault("decodeAttention", 0),
                "split-K launches: one per layer and decode step");
    }

    // A CudaBackend on the emulated device whose launches are counted by launcher name.
    private static CudaBackend recording(Map<String, Integer> calls) {
        KernelAbi emu = EmulatedDevice.abi();
        KernelAbi abi = (KernelAbi) java.lang.reflect.Proxy.newProxyInstance(KernelAbi.class.getClassLoader(),
                new Class<?>[]{KernelAbi.class}, (proxy, method, args) -> {
                    calls.merge(method.getName(), 1, Integer::sum);
                    try {
                        return method.invoke(emu, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        CudaDevice device = CudaDevice.emulated();
        return new CudaBackend(new CudaDevice("emulated, recording", new DeviceKernels(abi, device.kernels().memory()),
                device.gemm()));
    }

    @Test
    void backwardMatchesTheReferenceGradients() throws IOException {
        CudaBackend be = CudaBackend.emulated();
        try (TensorSource golden = TensorSource.open(root().resolve("golden-tiny-llava-hf/grads.safetensors"))) {
            Tape tape = new Tape();
            GradBackend gb = new GradBackend(be, tape);
            Map<String, Tensor> weights = model.weights();
            weights.values().forEach(tape::watch);
            Tensor px = tape.watch(npy("pixel_values"));
            LlavaModel.Output out = model.forward(gb, List.of(ids), px, List.of(labels));
            assertEquals(9.329628944, out.loss(), 1e-5);
            tape.keep(out.inputs().embeds());                  // an intermediate: its gradient is freed unless kept
            Gradients grads = tape.backward(out.lossTensor());
            int compared = 0;
            for (var e : weights.entrySet()) {
                if (!golden.contains(e.getKey())) continue;
                assertGradClose(e.getKey(), golden.tensor(e.getKey()), grads.of(e.getValue()));
                compared++;
            }
            assertEquals(64 - 18, compared);
            assertGradClose("merged inputs embeds", npy("grad_merged_inputs_embeds"), grads.of(out.inputs().embeds()));
            assertGradClose("pixel values", npy("grad_pixel_values"), grads.of(px));
        }
        assertOnlyAllowedFallbacks(be);
    }

    private static void assertOnlyAllowedFallbacks(CudaBackend be) {
        for (String op : be.hostFallbacks()) {
            assertTrue(ALLOWED_HOST_OPS.contains(op), op + " ran on the host although it has a kernel");
        }
    }

    private static void assertGradClose(String name, Tensor golden, Tensor actual) {
        assertNotNull(actual, name + ": no gradient");
        double absMax = 0;
        for (float v : golden.toFloatArray()) absMax = Math.max(absMax, Math.abs(v));
        double diff = maxAbsDiff(actual, golden);
        assertTrue(diff <= 1e-4 || diff <= 1e-3 * absMax, name + ": max |diff| " + diff + " (abs max " + absMax + ")");
    }

    static Path root() {
        try {
            return Path.of(CudaBackendGoldenTest.class.getResource("/golden").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Tensor npy(String name) throws IOException {
        return Npy.read(root().resolve("golden-tiny-llava-hf").resolve(name + ".npy"));
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape(), "shape");
        double[] x = a.toDoubleArray(), y = b.toDoubleArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }
}
