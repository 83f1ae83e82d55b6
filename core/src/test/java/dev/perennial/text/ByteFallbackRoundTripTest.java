/*
 * Byte fallback (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing and prompt facts": <0x00>..<0xFF> = ids
 * 3..258): decode(encode(s)) == s for random strings over ASCII (control characters included), Latin-1 (NBSP,
 * soft hyphen), combining marks, CJK, Hangul, RTL scripts, zero-width characters and emoji (skin tones, ZWJ
 * sequences, flags), from both loaders. Excluded: U+2581 itself, which the tokenizer cannot tell from a
 * space, and unpaired surrogates, which are refused. Characters outside the vocabulary must come out as
 * exactly their UTF-8 bytes (id 3 + byte), and a byte run that is not UTF-8 decodes to one U+FFFD per byte
 * (HF's ByteFallback decoder).
 */
package dev.perennial.text;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ByteFallbackRoundTripTest {
    /** Code point ranges to draw from: {first, last}. */
    private static final int[][] RANGES = {
            {0x00, 0x7F}, {0x00, 0x1F}, {0x20, 0x20}, {0x80, 0xFF}, {0x0300, 0x036F}, {0x0370, 0x04FF},
            {0x0590, 0x06FF}, {0x200B, 0x200F}, {0x2028, 0x202F}, {0x3040, 0x30FF}, {0x4E00, 0x9FFF},
            {0xAC00, 0xD7A3}, {0xE000, 0xE0FF}, {0xFFF0, 0xFFFF}, {0x1F1E6, 0x1F1FF}, {0x1F300, 0x1FAFF},
            {0x1F3FB, 0x1F3FF}, {0x10000, 0x10FFFF}};

    private static String randomText(Random random) {
        StringBuilder s = new StringBuilder();
        int n = random.nextInt(40);
        while (s.codePointCount(0, s.length()) < n) {
            int[] r = RANGES[random.nextInt(RANGES.length)];
            int cp = r[0] + random.nextInt(r[1] - r[0] + 1);
            if (cp == 0x2581 || Character.getType(cp) == Character.SURROGATE) continue;
            s.appendCodePoint(cp);
        }
        return s.toString();
    }

    @Test
    void randomUnicodeRoundTrips() {
        for (Golden.Named l : Golden.loaders()) {
            Tokenizer t = l.tokenizer();
            Random random = new Random(20240320);
            for (int i = 0; i < 3000; i++) {
                String s = randomText(random);
                int[] ids = t.encode(s, true);
                assertEquals(s, t.decode(ids), () -> l + ": " + s.codePoints().mapToObj(Integer::toHexString).toList());
            }
        }
    }

    @Test
    void charactersOutsideTheVocabularyAreTheirUtf8Bytes() {
        for (Golden.Named l : Golden.loaders()) {
            Tokenizer t = l.tokenizer();
            for (String s : new String[]{"\uD83E\uDD99", "\u0000", "\u007F", "\uD800\uDC00", "\uDBFF\uDFFF"}) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                int[] expected = new int[utf8.length + 1];
                expected[0] = t.id("\u2581").orElseThrow();   // the dummy prefix stands alone: nothing merges with bytes
                for (int i = 0; i < utf8.length; i++) expected[i + 1] = 3 + (utf8[i] & 0xff);
                assertArrayEquals(expected, t.encode(s, false), l + ": " + s.codePoints().mapToObj(Integer::toHexString).toList());
                for (int i = 1; i < expected.length; i++) assertEquals(Vocabulary.bytePiece(utf8[i - 1] & 0xff), t.piece(expected[i]));
            }
        }
    }

    @Test
    void bytesThatAreNotUtf8DecodeToOneReplacementCharacterEach() {
        Tokenizer t = Golden.fromJson();
        int f0 = 3 + 0xF0, x9f = 3 + 0x9F, a = t.encode("a", false)[0];
        assertEquals("\uFFFD\uFFFD", t.decode(new int[]{f0, x9f}));
        assertEquals("a\uFFFD\uFFFD", t.decode(new int[]{a, f0, x9f}));
        assertEquals("\uFFFD", t.decode(new int[]{3 + 0x80}));
        // a skipped special token does not interrupt a byte run; a kept one does
        int bos = t.bosId();
        String llama = "\uD83E\uDD99";
        int[] bytes = new int[4];
        byte[] utf8 = llama.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 4; i++) bytes[i] = 3 + (utf8[i] & 0xff);
        assertEquals(llama, t.decode(new int[]{bytes[0], bytes[1], bos, bytes[2], bytes[3]}));
        assertEquals("\uFFFD\uFFFD<s>\uFFFD\uFFFD", t.decode(new int[]{bytes[0], bytes[1], bos, bytes[2], bytes[3]}, false));
    }

    @Test
    void unpairedSurrogatesAreRefused() {
        for (Golden.Named l : Golden.loaders()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.tokenizer().encode("a\uD83E b", true));
            assertTrue(e.getMessage().contains("U+D83E"), e.getMessage());
        }
    }
}
