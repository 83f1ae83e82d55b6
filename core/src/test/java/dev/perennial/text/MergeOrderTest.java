/*
 * The two merge rules on small vocabularies where the order matters (the golden cases cannot tell the rules'
 * tie-breaking apart, docs/methods/llava-numerics.md, "Tokenizer golden": both files agree on all of them). Pieces after
 * <unk>, <s>, </s> and the 256 bytes: "▁", "a", "b", "ab", "ba", "aa", "aaaa", "xy"; expected ids are worked
 * out by hand from the rules in MergeRule:
 *   - tokenizer.json: the pair listed first merges first;
 *   - tokenizer.model: the highest-scoring piece merges first, equal scores to the leftmost pair, and two
 *     characters that are not pieces themselves merge when their concatenation is one ("xy");
 *   - a stale queued pair is never applied ("aaaaa": aa+aa -> aaaa, the fifth a stays);
 *   - a character without a piece falls back to its UTF-8 bytes.
 */
package dev.perennial.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MergeOrderTest {
    private static final List<String> PIECES = List.of("\u2581", "a", "b", "ab", "ba", "aa", "aaaa", "xy");
    private static final int SPACE = id("\u2581"), A = id("a"), B = id("b"), AB = id("ab"), BA = id("ba"), AA = id("aa"),
            AAAA = id("aaaa"), XY = id("xy");

    @TempDir
    Path dir;

    private static int id(String piece) {
        return TokenizerFixtures.FIRST_NORMAL + PIECES.indexOf(piece);
    }

    private Tokenizer json(String... merges) throws IOException {
        return TokenizerFixtures.load(dir, "tokenizer.json", TokenizerFixtures.hfJson(PIECES, List.of(merges)));
    }

    /** A model whose pieces score as given (missing pieces score -100). */
    private Tokenizer model(Map<String, Float> scores) throws IOException {
        Map<String, Float> all = new LinkedHashMap<>();
        PIECES.forEach(p -> all.put(p, scores.getOrDefault(p, -100f)));
        return TokenizerFixtures.load(dir, "tokenizer.model", TokenizerFixtures.spModel(all));
    }

    @Test
    void jsonMergesInListOrder() throws IOException {
        assertArrayEquals(new int[]{SPACE, A, BA}, json("b a", "a b").encode("aba", false));
        assertArrayEquals(new int[]{SPACE, AB, A}, json("a b", "b a").encode("aba", false));
    }

    @Test
    void modelMergesByScoreThenLeftmost() throws IOException {
        assertArrayEquals(new int[]{SPACE, A, BA}, model(Map.of("ab", -2f, "ba", -1f)).encode("aba", false));
        assertArrayEquals(new int[]{SPACE, AB, A}, model(Map.of("ab", -1f, "ba", -2f)).encode("aba", false));
        assertArrayEquals(new int[]{SPACE, AB, A}, model(Map.of("ab", -1f, "ba", -1f)).encode("aba", false));
    }

    @Test
    void modelMergesCharactersThatAreNotPiecesByTheirText() throws IOException {
        Tokenizer model = model(Map.of());
        assertArrayEquals(new int[]{SPACE, XY}, model.encode("xy", false));
        int x = model.id("<0x78>").orElseThrow();
        assertArrayEquals(new int[]{SPACE, x}, model.encode("x", false));
        // the json rule needs both halves in the vocabulary, so such a merge cannot even be listed
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> json("x y"));
        assertEquals(dir.resolve("tokenizer.json") + ": merge 0 ('x' 'y'): 'x' is not in the vocabulary", e.getMessage());
    }

    @Test
    void staleCandidatesAreSkipped() throws IOException {
        Tokenizer json = json("a a", "aa aa");
        Tokenizer model = model(Map.of("aa", -1f, "aaaa", -2f));
        for (Tokenizer t : List.of(json, model)) {
            assertArrayEquals(new int[]{SPACE, AAAA}, t.encode("aaaa", false));
            assertArrayEquals(new int[]{SPACE, AAAA, A}, t.encode("aaaaa", false));
            assertArrayEquals(new int[]{SPACE, AA, A}, t.encode("aaa", false));
        }
    }

    @Test
    void unknownCharactersFallBackToTheirUtf8Bytes() throws IOException {
        for (Tokenizer t : List.of(json("a b"), model(Map.of()))) {
            // é = C3 A9; the byte pieces <0x00>.. have ids 3 + byte
            assertArrayEquals(new int[]{SPACE, A, 3 + 0xC3, 3 + 0xA9, B}, t.encode("aéb", false));
            assertEquals("aéb", t.decode(t.encode("aéb", true)));
        }
    }
}
