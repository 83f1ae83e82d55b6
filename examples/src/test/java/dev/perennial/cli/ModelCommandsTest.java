/*
 * forward / generate / bench on both tiny checkpoint dialects, in process: the written files reproduce the
 * reference goldens (logits within 1e-4, loss within 1e-5, greedy tokens exact), and bad inputs are one line.
 */
package dev.perennial.cli;

import dev.perennial.io.Npy;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class ModelCommandsTest {
    private static final Path G = GOLDEN.resolve("golden-tiny-llava-hf");

    @TempDir
    Path dir;

    /** The golden ids with the HF image token 300 replaced by the original -200. */
    private Path originalIds(String name) throws IOException {
        long[] ids = Npy.read(G.resolve(name + ".npy")).toLongArray();
        for (int i = 0; i < ids.length; i++) if (ids[i] == 300) ids[i] = -200;
        Path p = dir.resolve(name + "-orig.npy");
        Npy.write(p, Tensor.ofLongs(ids, 1, ids.length));
        return p;
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape());
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
        return m;
    }

    @Test
    void forwardReproducesTheGoldenLogitsAndLossInBothDialects() throws IOException {
        Tensor golden = Npy.read(G.resolve("logits.npy"));
        String[][] variants = {{"tiny-llava-hf", G.resolve("input_ids.npy").toString()},
                {"tiny-llava-orig", originalIds("input_ids").toString()}};
        for (String[] v : variants) {
            Path out = dir.resolve("fwd-" + v[0]);
            CliRun r = run("forward", "--model", GOLDEN.resolve(v[0]).toString(), "--input-ids", v[1],
                    "--pixel-values", G.resolve("pixel_values.npy").toString(), "--labels", G.resolve("labels.npy").toString(),
                    "--out", out.toString());
            assertEquals(0, r.exitCode(), r.err());
            Tensor logits = Npy.read(out.resolve("logits.npy"));
            assertEquals(DType.F32, logits.dtype());
            assertTrue(maxAbsDiff(logits, golden) <= 1e-4, v[0]);
            String loss = Files.readString(out.resolve("loss.json"));
            double value = Double.parseDouble(loss.replaceAll(".*\"loss\": ([-0-9.Ee]+).*\\s*", "$1").trim());
            assertEquals(9.329628944, value, 1e-5, loss);
            assertTrue(loss.contains("\"tokens\": 6"), loss);
        }
    }

    @Test
    void forwardOnTheEmulatedCudaDeviceMatchesTheGoldenAndAnUnusableBackendIsOneLine() throws IOException {
        Path out = dir.resolve("fwd-emulated");
        CliRun r = run("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--input-ids",
                G.resolve("input_ids.npy").toString(), "--pixel-values", G.resolve("pixel_values.npy").toString(),
                "--labels", G.resolve("labels.npy").toString(), "--backend", "cuda-emulated", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(maxAbsDiff(Npy.read(out.resolve("logits.npy")), Npy.read(G.resolve("logits.npy"))) <= 1e-4);

        CliRun bad = run("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--input-ids",
                G.resolve("input_ids.npy").toString(), "--backend", "tpu", "--out", dir.resolve("tpu").toString());
        assertEquals(1, bad.exitCode());
        assertTrue(bad.err().contains("unknown backend 'tpu'"), bad.err());
    }

    @Test
    void generateWritesTheGoldenGreedyTokensInBothDialects() throws IOException {
        long[] golden = Npy.read(G.resolve("generate_new_tokens.npy")).toLongArray();
        String[][] variants = {{"tiny-llava-hf", G.resolve("generate_prompt_ids.npy").toString()},
                {"tiny-llava-orig", originalIds("generate_prompt_ids").toString()}};
        for (String[] v : variants) {
            Path out = dir.resolve("gen-" + v[0]);
            CliRun r = run("generate", "--model", GOLDEN.resolve(v[0]).toString(), "--input-ids", v[1],
                    "--pixel-values", G.resolve("pixel_values.npy").toString(), "--max-new-tokens", "8", "--out", out.toString());
            assertEquals(0, r.exitCode(), r.err());
            Tensor tokens = Npy.read(out.resolve("tokens.npy"));
            assertEquals(DType.I64, tokens.dtype());
            assertArrayEquals(new int[]{1, 8}, tokens.shape());
            assertArrayEquals(golden, tokens.toLongArray(), v[0]);
        }
    }

    @Test
    void benchPrintsMedianRates() {
        CliRun r = run("bench", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--prompt-tokens", "64",
                "--new-tokens", "4", "--repeat", "1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("median: prefill [0-9.]+ tokens/s, decode [0-9.]+ tokens/s")), r.out());
        assertTrue(r.out().contains("prompt 64 positions (25 image features + 39 text)"), r.out());
    }

    @Test
    void benchTimesTrainingSteps() {
        for (String mode : new String[]{"full", "lora", "prompt"}) {
            CliRun r = run("bench", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--prompt-tokens", "40",
                    "--train", mode, "--lora-rank", "4", "--repeat", "1");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().lines().anyMatch(l -> l.matches("median: [0-9.]+ s per step; peak tensor memory [0-9.]+ GB .*")), r.out());
            assertTrue(r.out().contains("training step (" + mode), r.out());
        }
    }

    @Test
    void badInputsAreOneLine() throws IOException {
        Path floats = dir.resolve("floats.npy");
        Npy.write(floats, Tensor.zeros(1, 3));
        CliRun r = run("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--input-ids", floats.toString(),
                "--out", dir.resolve("x").toString());
        assertEquals(1, r.exitCode());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().contains("expected integer ids"), r.err());

        CliRun missingImage = run("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(),
                "--input-ids", G.resolve("input_ids.npy").toString(), "--out", dir.resolve("y").toString());
        assertEquals(1, missingImage.exitCode());
        assertTrue(missingImage.err().contains("image markers"), missingImage.err());

        CliRun noModel = run("generate", "--model", dir.resolve("nowhere").toString(), "--input-ids",
                G.resolve("input_ids.npy").toString(), "--max-new-tokens", "2", "--out", dir.resolve("z").toString());
        assertEquals(1, noModel.exitCode());
        assertEquals(1, noModel.errLines().size(), noModel.err());
    }

    /** forward --adapter applies a PEFT adapter: the logits are the model-with-adapter's, computed in Java here. */
    @Test
    void forwardAppliesAnAdapter() throws Exception {
        Path adapter = dir.resolve("adapter");
        float[] expected;
        try (dev.perennial.llava.LlavaModel m = dev.perennial.llava.LlavaModel.load(GOLDEN.resolve("tiny-llava-hf"))) {
            var cfg = dev.perennial.nn.LoraConfig.llm(2, 4, 0f);
            var ad = dev.perennial.nn.Lora.attach(m.linears(), cfg, 1);
            java.util.Random r = new java.util.Random(2);
            for (var a : ad.values()) for (int i = 0; i < a.b().numel(); i++) a.b().storage().setFloat(i, (float) (r.nextGaussian() * 0.1));
            dev.perennial.nn.Lora.save(adapter, ad, cfg);
            expected = m.forward(new dev.perennial.tensor.CpuBackend(), java.util.List.of(Npy.read(G.resolve("input_ids.npy")).toLongArray()),
                    Npy.read(G.resolve("pixel_values.npy")), null).logits().toFloatArray();
        }
        Path out = dir.resolve("with-adapter");
        CliRun r = run("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--input-ids", G.resolve("input_ids.npy").toString(),
                "--pixel-values", G.resolve("pixel_values.npy").toString(), "--adapter", adapter.toString(), "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        float[] got = Npy.read(out.resolve("logits.npy")).toFloatArray();
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) assertEquals(expected[i], got[i], 1e-5, "logit " + i);
        assertTrue(maxAbsDiff(Npy.read(out.resolve("logits.npy")), Npy.read(G.resolve("logits.npy"))) > 1e-3, "the adapter changed the logits");
    }
}
