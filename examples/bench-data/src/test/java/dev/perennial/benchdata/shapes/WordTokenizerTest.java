/*
 * WordTokenizer: the written tokenizer.json loads with the library's LLaMA Tokenizer, every corpus word is one token
 * (with or without the "▁" marker), punctuation is one token per character, text outside the corpus still round-trips
 * through byte fallback, and the added tokens sit at the end.
 */
package dev.perennial.benchdata.shapes;

import dev.perennial.text.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class WordTokenizerTest {
    @TempDir
    Path dir;

    @Test
    void corpusWordsAreSingleTokens() throws Exception {
        Path file = dir.resolve("tokenizer.json");
        WordTokenizer.Ids ids = WordTokenizer.write(file, List.of("What colour is the shape? Answer with one word.",
                "Is the red shape left or right of the blue one?", "[0.12, 0.34, 0.56, 0.78]"));
        Tokenizer tok = Tokenizer.load(file);
        assertEquals(ids.vocabSize(), tok.vocabSize());
        int[] a = tok.encode("What colour is the shape? Answer with one word.", true);
        // <s> What colour is the shape ? Answer with one word .
        assertEquals(12, a.length, java.util.Arrays.toString(a));
        assertEquals(1, a[0]);
        assertEquals("What colour is the shape? Answer with one word.", tok.decode(a, true));
        int[] box = tok.encode("[0.12, 0.34, 0.56, 0.78]", true);
        assertEquals("[0.12, 0.34, 0.56, 0.78]", tok.decode(box, true));
        assertTrue(box.length <= 1 + 4 * 4 + 3 + 1, "a box is a few tokens: " + box.length);
        int[] prompt = tok.encode("<image>\nIs the red shape left or right of the blue one?", true);
        // <s> <image> ▁ \n Is ▁the ▁red ▁shape ▁left ▁or ▁right ▁of ▁the ▁blue ▁one ?  (the normaliser marks the segment start)
        assertEquals(16, prompt.length, java.util.Arrays.toString(prompt));
        assertEquals(ids.image(), prompt[1]);
        assertEquals("Is", tok.decode(new int[]{prompt[4]}, true), "a word after a newline is one unmarked token");
        int[] outside = tok.encode("Zebra ünïcode!", true);
        assertEquals("Zebra ünïcode!", tok.decode(outside, true));
        int left = tok.encode("left", true)[1];
        assertTrue(left > 259, "a corpus word has its own piece, not bytes");
        assertEquals(ids.image() + 1, ids.pad());
        assertEquals(ids.pad() + 1, ids.vocabSize());
    }
}
