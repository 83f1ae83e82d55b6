/*
 * CLIP tokenizer behaviour beyond the golden cases, and its loading errors: literal special tokens are matched
 * after normalisation (so in any case) and split words around them; text that has no UTF-8 form is refused; a
 * batch needs a text; broken vocab.json / merges.txt files are one TokenizerFormatException naming the file.
 */
package dev.perennial.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ClipTokenizerTest {
    static final ClipTokenizer T = ClipTokenizerGoldenTest.TOKENIZER;
    static final Path GOLDEN = ClipTokenizerGoldenTest.DIR.resolve("clip-tokenizer");

    @TempDir
    Path tmp;

    @Test
    void specialTokensAreMatchedAfterNormalisationAndSplitWords() {
        int cat = T.encode("cat")[1], dog = T.encode("dog")[1];
        assertArrayEquals(new int[]{49406, cat, 49407, dog, 49407}, T.encode("cat<|ENDOFTEXT|>dog"));
        assertArrayEquals(new int[]{49406, 49406, 49407}, T.encode(" <|startoftext|> "));
    }

    @Test
    void unicodeWhitespaceOnlyIsAnEmptyText() {
        assertArrayEquals(new int[]{49406, 49407}, T.encode(" \t\u00A0\u3000\u2029\r\n"));
    }

    @Test
    void unpairedSurrogateIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> T.encode("a \uD800 b"));
        assertTrue(e.getMessage().contains("unpaired surrogate (U+D800)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> T.encodeBatch(List.of()));
    }

    private Path folder(String name, String vocab, String merges) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve(name));
        if (vocab != null) Files.writeString(dir.resolve(ClipTokenizer.VOCAB_JSON), vocab);
        if (merges != null) Files.writeString(dir.resolve(ClipTokenizer.MERGES_TXT), merges);
        return dir;
    }

    private static String goldenVocab() throws IOException {
        return Files.readString(GOLDEN.resolve(ClipTokenizer.VOCAB_JSON));
    }

    private static String failure(Path dir) {
        TokenizerFormatException e = assertThrows(TokenizerFormatException.class, () -> ClipTokenizer.load(dir));
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
        return e.getMessage();
    }

    @Test
    void missingFolderOrFile() throws IOException {
        assertThrows(NoSuchFileException.class, () -> ClipTokenizer.load(tmp.resolve("absent")));
        Path onlyVocab = folder("only-vocab", "{}", null);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ClipTokenizer.load(onlyVocab));
        assertEquals(onlyVocab.resolve("merges.txt").toString(), e.getFile());
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        assertThrows(NoSuchFileException.class, () -> ClipTokenizer.load(file));
    }

    @Test
    void malformedFilesNameTheFileAndTheDefect() throws IOException {
        String merges = "#version: 0.2\ni n\n";
        String vocab = goldenVocab();
        Path dir = folder("bad-json", "{\"a\": ", merges);
        assertTrue(failure(dir).startsWith(dir.resolve("vocab.json") + ": not valid JSON"));
        dir = folder("dup-id", "{\"a\": 0, \"b\": 0}", merges);
        assertEquals(dir.resolve("vocab.json") + ": vocab ids must be 0..1, each once; 'b' has 0", failure(dir));
        dir = folder("no-eot", vocab.replace("\"<|endoftext|>\": 49407", "\"<|end|>\": 49407"), merges);
        assertTrue(failure(dir).contains("piece '<|endoftext|>' is missing"));
        dir = folder("unknown-piece", vocab, merges + "q \u2603\n");
        assertEquals(dir.resolve("merges.txt") + ": merge 1 ('q' '\u2603'): '\u2603' is not in the vocabulary", failure(dir));
        dir = folder("bad-line", vocab, merges + "abc\n");
        assertEquals(dir.resolve("merges.txt") + ": line 3 is not a merge 'left right': abc", failure(dir));
    }
}
