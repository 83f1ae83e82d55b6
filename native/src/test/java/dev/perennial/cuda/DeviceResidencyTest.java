/*
 * Gradients, optimizer state and the KV cache live on the device, checked on the
 * emulated device, whose memory is kept apart from the host's and counted like a GPU's (PooledDeviceMemory):
 *  - a LoRA training step of the tiny golden model through the real Trainer (gradient accumulation over two
 *    micro-batches, clipping, AdamW), after warm-up: no new device allocation (the caching allocator reuses
 *    every block), only the micro-batches' inputs are copied in (with the supervised rows' indices and targets), and only the loss and the gradient norm come
 *    out (host reads of device memory: one loss scalar per micro-batch and the clipping's per-gradient sums,
 *    read in one array). LoRA dropout is on: its masks are made on the device (Backend.dropoutMask);
 *  - a greedy decoding step after warm-up: no new allocation, only the new token and its position go in, only
 *    its logits come out;
 *  - ids already on the device that hold a bad token are still reported (the kernel's flag is read back then).
 */
package dev.perennial.cuda;

import dev.perennial.data.TrainingExample;
import dev.perennial.llava.KvCache;
import dev.perennial.llava.LlamaDecoder;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.MergedInputs;
import dev.perennial.nn.Linear;
import dev.perennial.nn.Lora;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.nn.LoraConfig;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceResidencyTest {
    static LlavaModel model;
    static Tensor pixels;
    static long[] ids, labels;

    @BeforeAll
    static void load() throws IOException {
        model = LlavaModel.load(CudaBackendGoldenTest.root().resolve("tiny-llava-hf"));
        pixels = CudaBackendGoldenTest.npy("pixel_values");
        ids = CudaBackendGoldenTest.npy("input_ids").toLongArray();
        labels = CudaBackendGoldenTest.npy("labels").toLongArray();
    }

    @AfterAll
    static void close() throws IOException { model.close(); }

    @Test
    void aTrainingStepAfterWarmUpMovesOnlyTheBatchInAndTheLossOut() throws IOException {
        CudaBackend be = CudaBackend.emulated();
        Map<String, LoraAdapter> adapters = Lora.attach(model.linears(), LoraConfig.llm(4, 8, 0.1f), 1, be);
        try {
            Map<String, Tensor> params = Lora.parameters(adapters);
            for (Tensor p : params.values()) assertTrue(be.device().kernels().memory().holds(p), "LoRA tensors are placed on the device");
            List<TrainingExample> examples = new ArrayList<>();
            for (int i = 0; i < 24; i++) examples.add(new TrainingExample(i, "s" + i, ids, labels, pixels.select(0, 0)));
            TrainConfig cfg = new TrainConfig(1, 1, 2, 1e-3, 0.01, 0, 1e-3, 3, -1, 0);   // 12 steps of 2 micro-batches, clipping on
            List<DeviceTraffic> windows = new ArrayList<>();
            Trainer trainer = new Trainer(model, be, params, null, adapters.values(), cfg);
            be.resetTraffic();
            Trainer.Result r = trainer.train(examples, null, false, (step, total, loss, rate, eta) -> {
                windows.add(be.traffic());
                be.resetTraffic();
            });
            assertEquals(12, r.losses().size());
            // what one micro-batch must send: the image, the text ids before and after the image token (embedded on
            // both sides of the image features), the merged sequence's positions (I32 on the device), and for the
            // loss-only head (LlavaModel.forwardLoss) the supervised rows' indices and their targets
            int at = 0;
            while (ids[at] != model.config().imageTokenIndex()) at++;
            int merged = ids.length - 1 + model.config().imageFeatureCount(), supervised = 0;
            for (int j = 1; j < labels.length; j++) if (labels[j] != model.config().ignoreIndex()) supervised++;
            List<String> perMicroBatch = List.of("F32[" + pixels.numel() + "]", "I64[" + at + "]", "I64[" + (ids.length - at - 1) + "]",
                    "I32[1, " + merged + "]", "I64[" + supervised + "]", "I32[" + supervised + "]");
            List<String> expected = new ArrayList<>(perMicroBatch);
            expected.addAll(perMicroBatch);
            java.util.Collections.sort(expected);
            for (int s = 2; s < windows.size(); s++) {
                DeviceTraffic t = windows.get(s);
                String what = "step " + (s + 1) + ": " + t;
                assertEquals(0, t.allocations(), "new device allocations, " + what);
                assertTrue(t.reuses() > 0, what);
                List<String> uploaded = new ArrayList<>(t.uploaded());
                java.util.Collections.sort(uploaded);
                assertEquals(expected, uploaded, "copied in: only the two micro-batches' inputs, " + what);
                // out: each micro-batch's loss (a scalar) and the clipping's chunk sums of all 28 gradients at once
                assertEquals(List.of("F32[1]", "F32[1]", "F64[" + params.size() + "]"), t.hostAccessed(), what);
            }
            assertTrue(be.hostFallbacks().isEmpty() || be.hostFallbacks().equals(java.util.Set.of("topk")), "host fallbacks " + be.hostFallbacks());
        } finally {
            for (Linear l : model.linears().values()) l.setAdapter(null);
        }
    }

    @Test
    void aDecodingStepAfterWarmUpMovesOnlyItsTokenInAndItsLogitsOut() {
        CudaBackend be = CudaBackend.emulated();
        LlamaDecoder dec = model.decoder();
        MergedInputs in = model.merge(be, List.of(ids), model.imageFeatures(be, pixels), null, true);
        int t = in.length(), steps = 6;
        try (KvCache cache = new KvCache(be, model.config().text(), 1, t + steps)) {
            Tensor h = dec.forward(be, in.embeds(), in.positions(), in.valid(), cache).normed();
            long next = argmaxOnHost(dec.logits(be, h.narrow(1, t - 1, 1)));
            boolean[][] valid = {{true}};
            int vocab = model.config().text().vocabSize();
            for (int i = 0; i < steps; i++) {
                be.resetTraffic();
                try (TensorScope scope = TensorScope.open()) {
                    Tensor e = dec.embed(be, Tensor.ofLongs(new long[]{next}, 1, 1));
                    Tensor pos = Tensor.ofLongs(new long[]{t + i}, 1, 1);
                    Tensor logits = dec.logits(be, dec.forward(be, e, pos, valid, cache).normed());
                    next = argmaxOnHost(logits);
                }
                DeviceTraffic tr = be.traffic();
                if (i < 2) continue;                                   // warm-up: the pool fills
                String what = "decode step " + i + ": " + tr;
                assertEquals(0, tr.allocations(), what);
                assertEquals(2, tr.uploads(), "the token id and its position, " + what);
                assertEquals(8 + 4, tr.uploadedBytes(), "I64 token, I32 position: " + what);
                assertEquals(List.of("F32[" + vocab + "]"), tr.hostAccessed(), "only the logits come out, " + what);
            }
        }
        assertTrue(be.hostFallbacks().isEmpty(), "ops on the host (a host KV cache would show copyInto): " + be.hostFallbacks());
    }

    @Test
    void badIdsAlreadyOnTheDeviceAreStillReported() {
        CudaBackend be = CudaBackend.emulated();
        Tensor table = be.place(Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 3, 2));
        Tensor onDevice = be.place(Tensor.ofLongs(new long[]{0, 2, 7}, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> be.embedding(table, onDevice));
        assertTrue(e.getMessage().contains("token id 7 at position 2"), e.getMessage());
        IllegalArgumentException host = assertThrows(IllegalArgumentException.class,
                () -> be.embedding(table, Tensor.ofLongs(new long[]{0, -1}, 2)));
        assertTrue(host.getMessage().contains("token id -1 at position 1"), host.getMessage());
    }

    private static long argmaxOnHost(Tensor logits) {
        float[] v = logits.toFloatArray();
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
