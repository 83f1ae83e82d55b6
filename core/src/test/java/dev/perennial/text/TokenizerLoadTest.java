/*
 * Tokenizer.load picks the format from what it is given: a model folder (tokenizer.json preferred over
 * tokenizer.model, as HF transformers prefers the fast tokenizer), a file named *.json / *.model, or any other
 * file by its first non-blank byte. The two small fixtures differ in piece 259 ("J" in the JSON one, "M" in
 * the model), which shows which file was read. Missing paths are NoSuchFileExceptions naming the path.
 */
package dev.perennial.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerLoadTest {
    @TempDir
    Path dir;

    private byte[] json() throws IOException {
        return Golden.JSON.writeValueAsBytes(TokenizerFixtures.hfJson(List.of("J"), List.of()));
    }

    private static byte[] model() {
        return TokenizerFixtures.spModel(Map.of("M", 0f));
    }

    private static String piece259(Path p) throws IOException {
        return Tokenizer.load(p).piece(TokenizerFixtures.FIRST_NORMAL);
    }

    @Test
    void folderPrefersTokenizerJson() throws IOException {
        Path both = Files.createDirectory(dir.resolve("both"));
        TokenizerFixtures.write(both, Tokenizer.TOKENIZER_JSON, json());
        TokenizerFixtures.write(both, Tokenizer.SENTENCEPIECE_MODEL, model());
        assertEquals("J", piece259(both));
        Path onlyModel = Files.createDirectory(dir.resolve("model-only"));
        TokenizerFixtures.write(onlyModel, Tokenizer.SENTENCEPIECE_MODEL, model());
        assertEquals("M", piece259(onlyModel));
    }

    @Test
    void fileFormatByNameThenByContent() throws IOException {
        assertEquals("J", piece259(TokenizerFixtures.write(dir, "a.json", json())));
        assertEquals("M", piece259(TokenizerFixtures.write(dir, "a.model", model())));
        assertEquals("J", piece259(TokenizerFixtures.write(dir, "a.txt", ("\n  " + new String(json(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8))));
        assertEquals("M", piece259(TokenizerFixtures.write(dir, "a.bin", model())));
        // the name wins over the content: a JSON text read as a protobuf is malformed
        Path misnamed = TokenizerFixtures.write(dir, "json.model", json());
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> Tokenizer.load(misnamed));
        assertTrue(e.getMessage().startsWith(misnamed + ": malformed protobuf"), e.getMessage());
    }

    @Test
    void missingPaths() throws IOException {
        Path missing = dir.resolve("missing.json");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Tokenizer.load(missing));
        assertEquals(missing.toString(), e.getFile());
        Path empty = Files.createDirectory(dir.resolve("empty"));
        e = assertThrows(NoSuchFileException.class, () -> Tokenizer.load(empty));
        assertEquals(empty.toString(), e.getFile());
        assertEquals("folder holds neither tokenizer.json nor tokenizer.model", e.getReason());
    }
}
