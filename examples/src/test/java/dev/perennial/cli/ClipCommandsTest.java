/*
 * encode-text / encode-image / tokenize --clip in process, on the tiny CLIP checkpoint and the real CLIP
 * vocabulary (core's test resources golden/clip/): the written .npy files reproduce the reference goldens within
 * 1e-4 on the CPU and on the emulated CUDA device, [T] ids work like [1, T], tokenize --clip prints the fast
 * tokenizer's golden ids, and bad inputs (missing files, wrong dtype or shape, ids outside the vocabulary, options
 * of the other tokenizer) are one line on stderr.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.Npy;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.StreamSupport;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class ClipCommandsTest {
    private static final Path CLIP = GOLDEN.resolve("clip");
    private static final Path MODEL = CLIP.resolve("tiny-clip-P");
    private static final Path G = CLIP.resolve("golden/tiny-clip-P");
    private static final Path VOCAB = CLIP.resolve("clip-tokenizer");

    @TempDir
    Path dir;

    private static Path golden(String name) {
        return G.resolve(name + ".npy");
    }

    private static void assertMatches(Path out, String file, String goldenName) throws IOException {
        Tensor written = Npy.read(out.resolve(file + ".npy")), golden = Npy.read(golden(goldenName));
        assertEquals(DType.F32, written.dtype());
        assertArrayEquals(golden.shape(), written.shape(), file);
        float[] a = written.toFloatArray(), b = golden.toFloatArray();
        double max = 0;
        for (int i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
        assertTrue(max <= 1e-4, file + ": max |diff| " + max);
    }

    private CliRun ok(String... args) {
        CliRun r = run(args);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        return r;
    }

    private static String oneLineError(CliRun r, String command) {
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("perennial " + command + ": "), r.err());
        return r.err().trim();
    }

    @Test
    void encodeTextWritesTheGoldenOutputsOnEveryBackend() throws IOException {
        for (String backend : List.of("cpu", "cuda-emulated")) {
            Path out = dir.resolve("text-" + backend);
            CliRun r = ok("encode-text", "--model", MODEL.toString(), "--input-ids", golden("text_input_ids").toString(),
                    "--attention-mask", golden("text_attention_mask").toString(), "--backend", backend, "--out", out.toString());
            assertEquals("last_hidden_state [3, 14, 32], pooler_output [3, 32], text_embeds [3, 24] -> " + out, r.out().trim());
            assertMatches(out, "last_hidden_state", "text_last_hidden_state");
            assertMatches(out, "pooler_output", "text_pooler_output");
            assertMatches(out, "text_embeds", "text_embeds");
        }
    }

    @Test
    void encodeTextTakesOneRowAsAVector() throws IOException {
        Path ids = dir.resolve("ids.npy");
        Npy.write(ids, Npy.read(golden("text_long_input_ids")).select(0, 0));             // [77]
        Path out = dir.resolve("long");
        ok("encode-text", "--model", MODEL.toString(), "--input-ids", ids.toString(), "--out", out.toString());
        assertMatches(out, "last_hidden_state", "text_long_last_hidden_state");
        assertMatches(out, "pooler_output", "text_long_pooler_output");
        assertMatches(out, "text_embeds", "text_long_text_embeds");
    }

    @Test
    void encodeImageWritesTheGoldenOutputsOnEveryBackend() throws IOException {
        for (String backend : List.of("cpu", "cuda-emulated")) {
            Path out = dir.resolve("image-" + backend);
            CliRun r = ok("encode-image", "--model", MODEL.toString(), "--pixel-values", golden("pixel_values").toString(),
                    "--backend", backend, "--out", out.toString());
            assertEquals("pooler_output [2, 40], image_embeds [2, 24] -> " + out, r.out().trim());
            assertMatches(out, "pooler_output", "vision_pooler_output");
            assertMatches(out, "image_embeds", "image_embeds");
        }
    }

    @Test
    void tokenizeClipPrintsTheFastTokenizerIds() throws IOException {
        JsonNode cases = new ObjectMapper().readTree(CLIP.resolve("clip-tokenizer-golden.json").toFile()).get("cases");
        for (JsonNode c : StreamSupport.stream(cases.spliterator(), false)
                .filter(c -> List.of("instruction_vqa_short_answer", "html_entities", "empty").contains(c.get("name").asText())).toList()) {
            CliRun r = ok("tokenize", "--clip", VOCAB.toString(), c.get("text").asText());
            assertEquals(1, r.out().lines().count(), r.out());
            assertEquals(c.get("ids_hf_fast"), new ObjectMapper().readTree(r.out()), c.get("name").asText());
        }
    }

    @Test
    void realClipIdsDoNotFitTheTinyVocabulary() throws IOException {
        CliRun tok = ok("tokenize", "--clip", VOCAB.toString(), "a photo of a cat");
        long[] ids = StreamSupport.stream(new ObjectMapper().readTree(tok.out()).spliterator(), false).mapToLong(JsonNode::asLong).toArray();
        Path file = dir.resolve("real-ids.npy");
        Npy.write(file, Tensor.ofLongs(ids, 1, ids.length));
        String err = oneLineError(run("encode-text", "--model", MODEL.toString(), "--input-ids", file.toString(),
                "--out", dir.resolve("o").toString()), "encode-text");
        assertEquals("perennial encode-text: input id 49406 at [0, 0] is outside the vocabulary [0, 300)", err);
    }

    @Test
    void badInputsAreOneLine() throws IOException {
        String out = dir.resolve("o").toString(), ids = golden("text_input_ids").toString();
        Path missing = dir.resolve("missing.npy");
        assertEquals("perennial encode-text: " + missing + ": no such file or folder", oneLineError(run("encode-text", "--model",
                MODEL.toString(), "--input-ids", missing.toString(), "--out", out), "encode-text"));
        Path noModel = dir.resolve("no-model");
        assertTrue(oneLineError(run("encode-text", "--model", noModel.toString(), "--input-ids", ids, "--out", out), "encode-text")
                .contains(noModel.toString()));
        String floats = golden("text_pooler_output").toString();
        assertTrue(oneLineError(run("encode-text", "--model", MODEL.toString(), "--input-ids", floats, "--out", out), "encode-text")
                .contains(floats + ": expected integer values of shape [B, T] or [T]"));
        assertTrue(oneLineError(run("encode-text", "--model", MODEL.toString(), "--input-ids", ids, "--attention-mask",
                golden("text_pooled_index").toString(), "--out", out), "encode-text").contains("attention mask is [1, 3] but input ids are [3, 14]"));
        assertTrue(oneLineError(run("encode-image", "--model", MODEL.toString(), "--pixel-values", ids, "--out", out), "encode-image")
                .contains(ids + ": expected float pixel values [N, 3, S, S]"));
        Path small = dir.resolve("small.npy");
        Npy.write(small, Tensor.zeros(1, 3, 24, 24));
        assertTrue(oneLineError(run("encode-image", "--model", MODEL.toString(), "--pixel-values", small.toString(), "--out", out),
                "encode-image").contains("pixel values must be [B, 3, 30, 30]"));
        assertFalse(Files.exists(dir.resolve("o")));
        assertEquals(2, run("encode-text", "--model", MODEL.toString(), "--input-ids", ids).exitCode());        // no --out
        assertEquals(2, run("encode-image", "--model", MODEL.toString(), "--out", out).exitCode());           // no pixels
    }

    @Test
    void tokenizeOptionsOfTheOtherTokenizerAreUsageErrors() {
        Path llama = GOLDEN.resolve("tokenizer/tokenizer.json");
        assertEquals(2, run("tokenize", "--clip", VOCAB.toString(), "--no-bos", "x").exitCode());
        assertEquals(2, run("tokenize", "--clip", VOCAB.toString(), "--image-token-id", "5", "x").exitCode());
        assertEquals(2, run("tokenize", "--clip", VOCAB.toString(), "--tokenizer", llama.toString(), "x").exitCode());
        Path missing = dir.resolve("nothing");
        assertEquals("perennial tokenize: " + missing + ": no such file or folder",
                oneLineError(run("tokenize", "--clip", missing.toString(), "x"), "tokenize"));
    }
}
