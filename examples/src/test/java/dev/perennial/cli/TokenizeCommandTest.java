/*
 * `perennial tokenize` run in process: golden cases (core's test resources golden/tokenizer/,
 * docs/methods/llava-numerics.md "Tokenizer golden") through both tokenizer files and a model folder, --no-bos, the
 * template case with --image-token-id as the original (-200) and HF (32000) image ids, the output being one
 * JSON array; and the one-line error contract for missing and malformed tokenizer files.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path TOKENIZER = CliRun.GOLDEN.resolve("tokenizer");
    private static final Path TOKENIZER_JSON = TOKENIZER.resolve("tokenizer.json");
    private static final Path SP_MODEL = TOKENIZER.resolve("llama-sp-reconstructed.model");

    @TempDir
    Path dir;

    private static JsonNode goldenCase(String text) throws IOException {
        for (JsonNode c : JSON.readTree(TOKENIZER.resolve("tokenizer-golden.json").toFile()).get("cases")) {
            if (c.get("text").asText().equals(text)) return c;
        }
        throw new AssertionError("no golden case " + text);
    }

    /** Runs tokenize and returns stdout, which must be exactly one JSON array of numbers. */
    private static JsonNode ids(String... args) throws IOException {
        String[] full = new String[args.length + 1];
        full[0] = "tokenize";
        System.arraycopy(args, 0, full, 1, args.length);
        CliRun r = CliRun.run(full);
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("", r.err());
        assertEquals(1, r.out().lines().count(), r.out());
        JsonNode array = JSON.readTree(r.out());
        assertTrue(array.isArray(), r.out());
        return array;
    }

    @Test
    void goldenCasesFromEitherFileOrAFolder() throws IOException {
        Path folder = Files.createDirectory(dir.resolve("model"));
        Files.copy(SP_MODEL, folder.resolve("tokenizer.model"));
        for (String text : List.of("Hello world!", "emoji: \uD83D\uDE00\uD83E\uDD99\uD83D\uDE80\uD83D\uDC4D\uD83C\uDFFD \uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67",
                "tabs\tand\nnewlines\r\n")) {
            JsonNode c = goldenCase(text);
            for (Path tokenizer : List.of(TOKENIZER_JSON, SP_MODEL, folder)) {
                assertEquals(c.get("ids"), ids("--tokenizer", tokenizer.toString(), text), tokenizer + " " + text);
            }
            assertEquals(c.get("ids_without_bos"), ids("--tokenizer", SP_MODEL.toString(), "--no-bos", text));
        }
    }

    @Test
    void imageTokenIdSplicesLikeTokenizerImageToken() throws IOException {
        JsonNode c = goldenCase("USER: <image>\nWhat's the content of the image? ASSISTANT:");
        String text = c.get("text").asText();
        assertEquals(c.get("ids"), ids("--tokenizer", SP_MODEL.toString(), text));   // without the option <image> is text
        assertEquals(c.get("llava_original_ids"), ids("--tokenizer", SP_MODEL.toString(), "--image-token-id=-200", text));
        assertEquals(c.get("llava_hf_ids"), ids("--tokenizer", TOKENIZER_JSON.toString(), "--image-token-id", "32000", text));
        JsonNode withoutBos = ids("--tokenizer", SP_MODEL.toString(), "--no-bos", "--image-token-id", "-200", text);
        assertEquals(c.get("llava_original_ids").size() - 1, withoutBos.size());
        for (int i = 0; i < withoutBos.size(); i++) assertEquals(c.get("llava_original_ids").get(i + 1), withoutBos.get(i));
    }

    @Test
    void missingAndMalformedTokenizerFilesAreOneLineOnStderr() throws IOException {
        Path missing = dir.resolve("missing.json");
        CliRun r = CliRun.run("tokenize", "--tokenizer", missing.toString(), "x");
        assertEquals(1, r.exitCode());
        assertEquals("", r.out());
        assertEquals(List.of("perennial tokenize: " + missing + ": no such file or folder"), r.errLines());

        Path bad = Files.write(dir.resolve("bad.json"), "{\"model\":".getBytes(StandardCharsets.UTF_8));
        r = CliRun.run("tokenize", "--tokenizer", bad.toString(), "x");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("perennial tokenize: " + bad + ": not valid JSON"), r.err());
    }

    @Test
    void usageErrors() {
        assertEquals(2, CliRun.run("tokenize", "x").exitCode());
        assertEquals(2, CliRun.run("tokenize", "--tokenizer", SP_MODEL.toString()).exitCode());
        assertEquals(2, CliRun.run("tokenize", "--tokenizer", SP_MODEL.toString(), "--image-token-id", "abc", "x").exitCode());
        CliRun help = CliRun.run("--help");
        assertTrue(help.out().contains("tokenize"), help.out());
    }
}
