/*
 * The dummy-prefix and space-marking variants of tokenizer.json (SpaceHandling), each checked on the golden
 * tokenizer with its normaliser replaced by a Metaspace pre-tokenizer, against expectations derived from the
 * golden ids:
 *   - prepend_scheme "always": no "▁" is prepended to a segment that already starts with one, so a text that
 *     starts with a space encodes like the legacy tokenizer on the text without it; other texts as golden;
 *   - "first": as "always", and no prefix after an added token (the non-legacy HF behaviour:
 *     "<image>\nWhat" -> [32000, 13, ...] without the 29871 of llava_hf_ids);
 *   - split (default true): pieces never span a "▁" boundary, so every whitespace-run piece of the golden
 *     (k marks, e.g. 259 = "▁▁") becomes k single "▁" (29871); all other golden pieces stay;
 *   - "never": no dummy prefix at all, and the decoder without Strip leaves the text as is.
 */
package dev.perennial.text;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpaceHandlingTest {
    private static final String MARK = "\u2581";

    @TempDir
    Path dir;

    private Tokenizer metaspace(Consumer<ObjectNode> options) throws IOException {
        return TokenizerFixtures.load(dir, "tokenizer.json", TokenizerFixtures.goldenJson(root -> {
            root.putNull("normalizer");
            ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", MARK);
            options.accept(pre);
            TokenizerFixtures.addLlavaHfTokens(root);
        }));
    }

    /**
     * What a Metaspace "always"/"first" tokenizer gives for a golden text without <image>: a leading space
     * already is the prefix, so the rest encodes as the legacy tokenizer encodes it with its own prefix (and a
     * lone space is the lone "▁").
     */
    private static int[] unmarkedPrefix(Golden.Case c) {
        if (!c.text().startsWith(" ")) return c.ids();
        Tokenizer legacy = Golden.fromJson();
        return c.text().equals(" ") ? new int[]{legacy.bosId(), legacy.id(MARK).orElseThrow()} : legacy.encode(c.text().substring(1), true);
    }

    @Test
    void prependAlways() throws IOException {
        Tokenizer t = metaspace(pre -> pre.put("prepend_scheme", "always").put("split", false));
        for (Golden.Case c : Golden.CASES) {
            assertArrayEquals(c.llavaHfIds() != null ? c.llavaHfIds() : unmarkedPrefix(c), t.encode(c.text(), true), c.text());
        }
        assertTrue(Golden.CASES.stream().anyMatch(c -> c.text().startsWith(" ") && !Arrays.equals(c.ids(), unmarkedPrefix(c))),
                "some golden case tells the schemes apart");
    }

    @Test
    void prependFirstOnlyAtTheTextStart() throws IOException {
        Tokenizer t = metaspace(pre -> pre.put("prepend_scheme", "first").put("split", false));
        for (Golden.Case c : Golden.CASES) {
            if (c.llavaHfIds() == null) {
                assertArrayEquals(unmarkedPrefix(c), t.encode(c.text(), true), c.text());
                continue;
            }
            int[] hf = c.llavaHfIds();
            int at = IntStream.range(0, hf.length).filter(i -> hf[i] == 32000).findFirst().orElseThrow();
            assertEquals(29871, hf[at + 1]);
            int[] nonLegacy = Golden.concat(Arrays.copyOfRange(hf, 0, at + 1), Arrays.copyOfRange(hf, at + 2, hf.length));
            assertArrayEquals(nonLegacy, t.encode(c.text(), true), c.text());
        }
    }

    @Test
    void splitKeepsPiecesInsideWords() throws IOException {
        Tokenizer t = metaspace(pre -> pre.put("prepend_scheme", "always"));   // split defaults to true
        int space = t.id(MARK).orElseThrow();
        int runs = 0;
        for (Golden.Case c : Golden.CASES) {
            if (c.text().startsWith(" ") || c.llavaHfIds() != null) continue;
            IntStream.Builder expected = IntStream.builder();
            for (int i = 0; i < c.ids().length; i++) {
                String piece = c.pieces().get(i);
                if (piece.length() > 1 && piece.chars().allMatch(ch -> ch == MARK.charAt(0))) {
                    runs++;
                    for (int k = 0; k < piece.length(); k++) expected.add(space);
                } else {
                    assertTrue(piece.lastIndexOf(MARK) <= 0, piece);
                    expected.add(c.ids()[i]);
                }
            }
            assertArrayEquals(expected.build().toArray(), t.encode(c.text(), true), c.text());
        }
        assertTrue(runs > 0, "the golden cases contain whitespace runs");
    }

    @Test
    void neverPrependAndNoStrip() throws IOException {
        Tokenizer t = TokenizerFixtures.load(dir, "never.json", TokenizerFixtures.goldenJson(root -> {
            root.putNull("normalizer");
            root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", MARK).put("add_prefix_space", false).put("split", false);
            ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("decoder").get("decoders")).remove(3);
        }));
        // without a prefix, " x" is exactly what the legacy tokenizer makes of "x"
        Golden.Case hello = Golden.of("Hello world!");
        assertArrayEquals(hello.idsWithoutBos(), t.encode(" " + hello.text(), false));
        assertEquals(" " + hello.text(), t.decode(hello.idsWithoutBos()));
    }
}
