/*
 * `perennial score` end to end on the tiny checkpoint (no LoRA: fresh adapters are attached) with two LLaVA-JSON
 * files and small PNGs written here: vectors.npy [N, k] with unit rows and a NaN row for the sample whose image is
 * missing, one [N] .npy per scorer, records.json naming each row's file, the summary line; hidden-mean vectors
 * have the hidden size; --compat changes ppl to the code's (larger) form; a trained adapter folder is loaded;
 * --resume of a finished run changes nothing; bad arguments fail with one line.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.Npy;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class ScoreCommandTest {
    private static final Path TOKENIZER = GOLDEN.resolveSibling("tiny-tokenizer").resolve("tokenizer.json");
    private static final String[] SCORERS = {"ppl", "el2n", "entropy", "grand", "ig"};

    @TempDir
    Path dir;

    /** first.json: 4 samples (image, image, text-only, missing image); second.json: 2 samples with images. */
    private String datasets() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 3; i++) {
            BufferedImage bi = new BufferedImage(16 + i, 12, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 12; y++) for (int x = 0; x < 16 + i; x++) bi.setRGB(x, y, (x * 15 + i * 70) << 16 | (y * 20) << 8 | 60);
            ImageIO.write(bi, "png", images.resolve("p" + i + ".png").toFile());
        }
        String q = "{\"id\": \"%s\", %s\"conversations\": [{\"from\": \"human\", \"value\": \"%s\"}, {\"from\": \"gpt\", \"value\": \"%s\"}]}";
        String first = "[" + String.join(",", String.format(q, "f0", "\"image\": \"p0.png\", ", "<image>\\nWhat is it?", "a cat"),
                String.format(q, "f1", "\"image\": \"p1.png\", ", "<image>\\nColor?", "blue"),
                String.format(q, "f2", "", "Hello?", "hello"),
                String.format(q, "f3", "\"image\": \"lost.png\", ", "<image>\\nWhere?", "here")) + "]";
        String second = "[" + String.join(",", String.format(q, "s0", "\"image\": \"p2.png\", ", "<image>\\nSize?", "big"),
                String.format(q, "s1", "\"image\": \"p0.png\", ", "<image>\\nAgain?", "a cat again")) + "]";
        Path a = Files.writeString(dir.resolve("first.json"), first), b = Files.writeString(dir.resolve("second.json"), second);
        return a + "," + b;
    }

    private CliRun score(String data, String out, String... extra) {
        String[] base = {"score", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--tokenizer", TOKENIZER.toString(),
                "--data", data, "--images", dir.resolve("images").toString(), "--out", dir.resolve(out).toString(), "--max-length", "200"};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return run(args);
    }

    /** score --backend cuda-emulated: the token-score and projection kernels run on the device; the same numbers. */
    @Test
    void theEmulatedDeviceScoresWhatTheCpuScores() throws IOException {
        String data = datasets();
        CliRun cpu = score(data, "cpu", "--dim", "32", "--backend", "cpu");
        CliRun device = score(data, "device", "--dim", "32", "--backend", "cuda-emulated");
        assertEquals(0, cpu.exitCode(), cpu.err());
        assertEquals(0, device.exitCode(), device.err());
        String[] files = Arrays.copyOf(SCORERS, SCORERS.length + 1);
        files[SCORERS.length] = "vectors";
        for (String f : files) {
            float[] a = Npy.read(dir.resolve("cpu").resolve(f + ".npy")).toFloatArray();
            float[] b = Npy.read(dir.resolve("device").resolve(f + ".npy")).toFloatArray();
            assertEquals(a.length, b.length, f);
            for (int i = 0; i < a.length; i++) {
                if (Float.isNaN(a[i])) assertTrue(Float.isNaN(b[i]), f + "[" + i + "]");
                else assertEquals(a[i], b[i], 2e-4 + 2e-4 * Math.abs(a[i]), f + "[" + i + "]");
            }
        }
    }

    /** --adapter is applied with hidden-mean vectors too (it used to be dropped silently): the vectors change. */
    @Test
    void hiddenMeanVectorsUseTheAdapter() throws IOException {
        String data = datasets();
        Path adapter = dir.resolve("adapter");
        try (dev.perennial.llava.LlavaModel m = dev.perennial.llava.LlavaModel.load(GOLDEN.resolve("tiny-llava-hf"))) {
            var cfg = dev.perennial.nn.LoraConfig.llm(2, 4, 0f);
            var ad = dev.perennial.nn.Lora.attach(m.linears(), cfg, 1);
            java.util.Random r = new java.util.Random(4);
            for (var a : ad.values()) for (int i = 0; i < a.b().numel(); i++) a.b().storage().setFloat(i, (float) (r.nextGaussian() * 0.2));
            dev.perennial.nn.Lora.save(adapter, ad, cfg);
        }
        CliRun plain = score(data, "plain", "--vector-source", "hidden-mean", "--scorers", "ppl");
        CliRun adapted = score(data, "adapted", "--vector-source", "hidden-mean", "--scorers", "ppl", "--adapter", adapter.toString());
        assertEquals(0, plain.exitCode(), plain.err());
        assertEquals(0, adapted.exitCode(), adapted.err());
        assertTrue(adapted.out().contains("adapters: loaded from " + adapter), adapted.out());
        float[] a = Npy.read(dir.resolve("plain/vectors.npy")).toFloatArray(), b = Npy.read(dir.resolve("adapted/vectors.npy")).toFloatArray();
        assertFalse(Arrays.equals(a, b), "the adapter changed the hidden states");
    }

    @Test
    void writesVectorsScoresAndRecords() throws IOException {
        String data = datasets();
        CliRun r = score(data, "out", "--dim", "64");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("scored 6 samples (1 invalid: 1 missing image; 0 skipped JSON entries)"), r.out());
        assertTrue(r.out().contains("vectors [6, 64] from lora-grad (adapters: fresh, rank 8)"), r.out());
        assertTrue(r.err().contains("6/6 samples"), r.err());

        Path out = dir.resolve("out");
        Tensor v = Npy.read(out.resolve("vectors.npy"));
        assertArrayEquals(new int[]{6, 64}, v.shape());
        float[] flat = v.toFloatArray();
        for (int i = 0; i < 6; i++) {
            float[] row = Arrays.copyOfRange(flat, i * 64, i * 64 + 64);
            if (i == 3) {
                for (float x : row) assertTrue(Float.isNaN(x), "the missing image's row is NaN");
                continue;
            }
            double n = 0;
            for (float x : row) n += x * x;
            assertEquals(1.0, Math.sqrt(n), 1e-3, "row " + i);
        }
        for (String s : SCORERS) {
            float[] col = Npy.read(out.resolve(s + ".npy")).toFloatArray();
            assertEquals(6, col.length, s);
            for (int i = 0; i < 6; i++) assertEquals(i == 3, Float.isNaN(col[i]), s + " row " + i);
        }
        assertEquals(1.0f, Npy.read(out.resolve("ig.npy")).toFloatArray()[2], "text-only IG");
        JsonNode records = new ObjectMapper().readTree(out.resolve("records.json").toFile());
        assertEquals(6, records.size());
        assertEquals(dir.resolve("second.json").toString(), records.get(5).get("source").asText());
        assertEquals("s1", records.get(5).get("id").asText());
        assertEquals(1, records.get(5).get("record").asInt());
        assertEquals("missing image", records.get(3).get("invalid").asText());

        byte[] vectors = Files.readAllBytes(out.resolve("vectors.npy"));
        CliRun again = score(data, "out", "--dim", "64", "--resume");
        assertEquals(0, again.exitCode(), again.err());
        assertArrayEquals(vectors, Files.readAllBytes(out.resolve("vectors.npy")));
        CliRun refused = score(data, "out", "--dim", "64");
        assertEquals(1, refused.exitCode());
        assertTrue(refused.err().startsWith("perennial score: ") && refused.err().contains("already holds the finished run")
                && refused.err().contains("--overwrite"), refused.err());
    }

    /** --projection sparse: unit vectors of the same shape, other values than dense; a dense --resume is refused. */
    @Test
    void theSparseProjectionGivesUnitVectorsAndIsPartOfTheRunsSettings() throws IOException {
        String data = datasets();
        CliRun sparse = score(data, "sparse", "--dim", "64", "--projection", "sparse");
        assertEquals(0, sparse.exitCode(), sparse.err());
        CliRun dense = score(data, "dense", "--dim", "64");
        assertEquals(0, dense.exitCode(), dense.err());
        float[] s = Npy.read(dir.resolve("sparse/vectors.npy")).toFloatArray(), d = Npy.read(dir.resolve("dense/vectors.npy")).toFloatArray();
        assertEquals(6 * 64, s.length);
        double differ = 0;
        for (int i = 0; i < 6; i++) {
            if (i == 3) continue;                                         // the missing image's NaN row
            double n = 0;
            for (int c = 0; c < 64; c++) {
                n += s[i * 64 + c] * s[i * 64 + c];
                differ += Math.abs(s[i * 64 + c] - d[i * 64 + c]);
            }
            assertEquals(1.0, Math.sqrt(n), 1e-3, "row " + i);
        }
        assertTrue(differ > 0.1, "another matrix gives other vectors");
        assertArrayEquals(Npy.read(dir.resolve("dense/grand.npy")).toFloatArray(), Npy.read(dir.resolve("sparse/grand.npy")).toFloatArray(),
                "GraNd is the norm of the un-projected gradient: the same");
        CliRun mixed = score(data, "sparse", "--dim", "64", "--resume");
        assertEquals(1, mixed.exitCode());
        assertTrue(mixed.err().contains("projection"), mixed.err());
    }

    @Test
    void hiddenMeanCompatAndF16Store() throws IOException {
        String data = datasets();
        CliRun hidden = score(data, "hidden", "--vector-source", "hidden-mean", "--scorers", "ppl,entropy", "--store-dtype", "f16",
                "--batch", "2");
        assertEquals(0, hidden.exitCode(), hidden.err());
        assertTrue(hidden.out().contains("vectors [6, 64] from hidden-mean (adapters: none)"), hidden.out());
        assertArrayEquals(new int[]{6, 64}, Npy.read(dir.resolve("hidden/vectors.npy")).shape());
        assertFalse(Files.exists(dir.resolve("hidden/grand.npy")));
        assertEquals(64 + 6 * 64 * 2, Files.size(dir.resolve("hidden/vectors.pnvec")), "F16 store");

        CliRun paper = score(data, "paper", "--scorers", "ppl", "--dim", "16");
        CliRun compat = score(data, "compat", "--scorers", "ppl", "--dim", "16", "--compat");
        assertEquals(0, paper.exitCode(), paper.err());
        assertEquals(0, compat.exitCode(), compat.err());
        float[] p = Npy.read(dir.resolve("paper/ppl.npy")).toFloatArray(), c = Npy.read(dir.resolve("compat/ppl.npy")).toFloatArray();
        for (int i = 0; i < 6; i++) {
            if (i == 3) continue;
            assertTrue(c[i] > p[i], "log mean exp NLL > mean NLL (Jensen, strict for unequal NLLs): row " + i);
        }
    }

    @Test
    void loadsATrainedAdapter() throws IOException {
        String data = datasets();
        CliRun trained = run("train", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--tokenizer", TOKENIZER.toString(),
                "--data", dir.resolve("first.json").toString(), "--images", dir.resolve("images").toString(), "--out",
                dir.resolve("lora").toString(), "--lora-rank", "2", "--lora-alpha", "4", "--max-length", "200", "--epochs", "1", "--batch", "2");
        assertEquals(0, trained.exitCode(), trained.err());
        CliRun r = score(data, "scored", "--dim", "16", "--adapter", dir.resolve("lora/adapter").toString(), "--layers", "0,1");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("adapters: loaded from " + dir.resolve("lora/adapter")), r.out());
        assertArrayEquals(new int[]{6, 16}, Npy.read(dir.resolve("scored/vectors.npy")).shape());
    }

    @Test
    void badArgumentsFailWithOneLine() throws IOException {
        String data = datasets();
        CliRun unknown = score(data, "x", "--scorers", "ppl,loss");
        assertEquals(1, unknown.exitCode());
        assertEquals(1, unknown.errLines().size(), unknown.err());
        assertTrue(unknown.err().contains("unknown scorer loss"), unknown.err());
        CliRun layer = score(data, "y", "--layers", "7");
        assertEquals(1, layer.exitCode());
        assertTrue(layer.err().contains("layer 7"), layer.err());
        CliRun missing = run("score", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--out", dir.resolve("z").toString());
        assertEquals(2, missing.exitCode(), "usage error: --data is required");
        CliRun group = score(data, "g", "--projection-group", "0");
        assertEquals(2, group.exitCode(), group.err());
        assertTrue(group.err().contains("--projection-group must be at least 1, got 0"), group.err());
        assertFalse(Files.exists(dir.resolve("g/progress.json")), "refused before any work");
    }

    // Parallel samples (the default for this model) and one sample after another give the same vectors within float
    // rounding and the same scores; the automatic projection group gives what an explicit one gives.
    @Test
    void parallelAndSequentialSamplesAgree() throws IOException {
        String data = datasets();
        CliRun par = score(data, "par", "--dim", "64"), seq = score(data, "seq", "--dim", "64", "--parallel-samples", "off", "--projection-group", "2");
        assertEquals(0, par.exitCode(), par.err());
        assertEquals(0, seq.exitCode(), seq.err());
        float[] a = Npy.read(dir.resolve("par/vectors.npy")).toFloatArray(), b = Npy.read(dir.resolve("seq/vectors.npy")).toFloatArray();
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(b[i])) assertTrue(Float.isNaN(a[i]), "invalid rows stay NaN");
            else assertEquals(b[i], a[i], 1e-5, "vector element " + i);
        }
        for (String scorer : new String[]{"ppl", "el2n", "entropy", "grand", "ig"}) {
            float[] x = Npy.read(dir.resolve("par/" + scorer + ".npy")).toFloatArray(), y = Npy.read(dir.resolve("seq/" + scorer + ".npy")).toFloatArray();
            for (int i = 0; i < x.length; i++) {
                if (Float.isNaN(y[i])) assertTrue(Float.isNaN(x[i]), scorer + " row " + i + " stays NaN");
                else assertEquals(y[i], x[i], 1e-5 * Math.max(1, Math.abs(y[i])), scorer + " row " + i);
            }
        }
    }
}
