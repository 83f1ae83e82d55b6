/*
 * The CLIP tokenizer against clip-tokenizer-golden.json (test resources golden/clip/, copied from
 * core/src/test/resources/golden/clip; its README "CLIP tokenizer"): every case gives exactly ids_hf_fast, the ids of transformers'
 * CLIPTokenizerFast that ModalPrompt loads, with the fast tokenizer's vocabulary strings; on the 23 cases where
 * the three reference implementations agree that is also the slow tokenizer's and OpenAI's ids. The 7 cases
 * where ftfy / HTML unescaping / final sigma matter differ from the slow ids, as the fast tokenizer's do. The
 * normalised text where the golden records the fast one, truncation to 77 with the end-of-text id kept, and
 * ModalPrompt's padded batch call are exact too.
 */
package dev.perennial.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.junit.jupiter.api.Assertions.*;

class ClipTokenizerGoldenTest {
    static final Path DIR = dir();
    static final JsonNode FILE = read(DIR.resolve("clip-tokenizer-golden.json"));
    static final ClipTokenizer TOKENIZER = load();

    private static Path dir() {
        try {
            return Path.of(ClipTokenizerGoldenTest.class.getResource("/golden/clip").toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode read(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ClipTokenizer load() {
        try {
            return ClipTokenizer.load(DIR.resolve("clip-tokenizer"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<JsonNode> cases() {
        return StreamSupport.stream(FILE.get("cases").spliterator(), false);
    }

    private static int[] ints(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }

    private static List<String> strings(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }

    @ParameterizedTest(name = "{index}")
    @MethodSource("cases")
    void idsAndTokensOfTheFastTokenizer(JsonNode c) {
        String name = c.get("name").asText();
        int[] ids = TOKENIZER.encode(c.get("text").asText());
        assertArrayEquals(ints(c.get("ids_hf_fast")), ids, name);
        List<String> tokens = strings(c.has("tokens_hf_fast") ? c.get("tokens_hf_fast") : c.get("tokens"));
        assertEquals(tokens, IntStream.of(ids).mapToObj(TOKENIZER::piece).toList(), name);
        if (c.get("agree_hf_fast").asBoolean()) {
            assertArrayEquals(ints(c.get("ids")), ids, name);
            assertArrayEquals(ints(c.get("ids_openai")), ids, name);
        } else {
            assertFalse(java.util.Arrays.equals(ints(c.get("ids")), ids), name + ": the slow tokenizer's ftfy result");
        }
        if (c.has("normalized_text_hf_fast")) {
            assertEquals(c.get("normalized_text_hf_fast").asText(), ClipTextNormalizer.normalize(c.get("text").asText()), name);
        }
    }

    @Test
    void theCasesThatDifferFromTheSlowTokenizerAreTheSevenFtfyCases() {
        List<String> differ = new ArrayList<>();
        cases().filter(c -> !java.util.Arrays.equals(ints(c.get("ids")), TOKENIZER.encode(c.get("text").asText())))
                .forEach(c -> differ.add(c.get("name").asText()));
        assertEquals(strings(FILE.get("summary").get("disagree_hf_fast")), differ);
        assertEquals(List.of("cjk_chinese", "greek_final_sigma", "html_entities", "mojibake_ftfy", "fullwidth_ftfy",
                "curly_quotes_dashes", "control_chars"), differ);
    }

    @Test
    void truncationKeepsSeventyFiveIdsAndTheEndOfText() {
        JsonNode c = cases().filter(x -> x.get("truncated").asBoolean()).findFirst().orElseThrow();
        assertTrue(c.get("n_ids_untruncated").asInt() > ClipTokenizer.CONTEXT_LENGTH);
        int[] ids = TOKENIZER.encode(c.get("text").asText());
        assertEquals(ClipTokenizer.CONTEXT_LENGTH, ids.length);
        assertEquals(49406, ids[0]);
        assertEquals(49407, ids[76]);
        assertArrayEquals(ints(c.get("ids_hf_fast")), ids);
    }

    @Test
    void modalPromptBatchIsPaddedWithEndOfText() {
        JsonNode b = FILE.get("batch_cases").get(0);
        ClipTokenizer.Batch batch = TOKENIZER.encodeBatch(strings(b.get("texts")));
        int rows = b.get("input_ids_hf_fast").size(), t = b.get("input_ids_hf_fast").get(0).size();
        assertArrayEquals(new int[]{rows, t}, batch.inputIds().shape());
        assertArrayEquals(new int[]{rows, t}, batch.attentionMask().shape());
        long[] ids = batch.inputIds().toLongArray(), mask = batch.attentionMask().toLongArray();
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < t; i++) {
                assertEquals(b.get("input_ids_hf_fast").get(r).get(i).asLong(), ids[r * t + i], "ids [" + r + ", " + i + "]");
                assertEquals(b.get("attention_mask_hf_fast").get(r).get(i).asLong(), mask[r * t + i], "mask [" + r + ", " + i + "]");
            }
        }
    }

    @Test
    void vocabulary() {
        assertEquals(49408, TOKENIZER.vocabSize());
        assertEquals(49406, TOKENIZER.startOfTextId());
        assertEquals(49407, TOKENIZER.endOfTextId());
        assertEquals("!", TOKENIZER.piece(0));
        assertEquals("Ā", TOKENIZER.piece(188));          // byte 0x00, the first byte without a printable symbol
        assertEquals("Ń</w>", TOKENIZER.piece(511));
        assertThrows(IllegalArgumentException.class, () -> TOKENIZER.piece(49408));
    }
}
