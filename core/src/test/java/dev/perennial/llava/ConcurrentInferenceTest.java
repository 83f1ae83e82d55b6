/*
 * LlavaModel inference is safe to call from several threads at once (its class comment says so): 8 threads running
 * forward and greedy generation on the tiny model, 3 times each, give bit for bit the results of sequential calls.
 * Nothing of a call is shared but the read-only weights and the synchronised caches of attention masks.
 */
package dev.perennial.llava;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class ConcurrentInferenceTest {
    @Test
    void eightThreadsGetTheSequentialResults() throws Exception {
        try (LlavaModel m = LlavaModel.load(Goldens.tinyHf())) {
            Backend be = new CpuBackend();
            long[] ids = Goldens.npy("input_ids").toLongArray(), prompt = Goldens.npy("generate_prompt_ids").toLongArray();
            Tensor pixels = Goldens.npy("pixel_values");
            float[] logits = m.forward(be, List.of(ids), pixels, null).logits().toFloatArray();
            long[] tokens = new Generator(m, be).generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 2), null).tokens().get(0);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int thread = t;
                    futures.add(pool.submit((Callable<Void>) () -> {
                        for (int r = 0; r < 3; r++) {
                            if ((thread + r) % 2 == 0) {
                                assertArrayEquals(logits, m.forward(be, List.of(ids), pixels, null).logits().toFloatArray(), "forward");
                            } else {
                                assertArrayEquals(tokens, new Generator(m, be).generate(List.of(prompt), pixels, GenerationConfig.greedy(8, 2), null)
                                        .tokens().get(0), "generate");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<?> f : futures) f.get();
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
