/*
 * Verbatim tokens (VerbatimTokens; docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing and prompt facts", Image
 * token):
 *   - llava-hf's tokenizer.json = the golden one + added tokens <image> = 32000 and <pad> = 32001 (+ a third,
 *     non-special "<image><pad>" = 32002 to see leftmost-longest matching): plain encode of the template cases
 *     gives the golden llava_hf_ids (each text segment gets its own dummy prefix, hence the 29871 after 32000),
 *     every other golden case is unchanged (control tokens in text stay text), the added tokens extend the
 *     vocabulary, are matched before normalisation and never split, and decode skips the special ones;
 *   - a SentencePiece user-defined piece (the golden model + a USER_DEFINED "<image>" piece, id 32000) is one
 *     symbol, and SentencePiece puts the dummy prefix only at the start of the text: no 29871 after it.
 */
package dev.perennial.text;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AddedTokensTest {
    private static final String TEMPLATE = "USER: <image>\nWhat's the content of the image? ASSISTANT:";
    private static final int IMAGE = 32000, PAD = 32001, IMAGE_PAD = 32002;

    @TempDir
    static Path dir;
    private static Tokenizer llavaHf, spUserDefined;

    @BeforeAll
    static void load() throws IOException {
        llavaHf = TokenizerFixtures.load(dir, "tokenizer.json", TokenizerFixtures.goldenJson(root -> {
            TokenizerFixtures.addLlavaHfTokens(root);
            TokenizerFixtures.addToken(root, IMAGE_PAD, "<image><pad>", false);
        }));
        byte[] golden = Files.readAllBytes(Golden.SENTENCEPIECE_MODEL);
        byte[] userDefined = new ProtoWriter().message(1, TokenizerFixtures.piece("<image>", 0, TokenizerFixtures.USER_DEFINED)).toByteArray();
        spUserDefined = TokenizerFixtures.load(dir, "user-defined.model", Golden.concatBytes(golden, userDefined));
    }

    @Test
    void llavaHfTokenizerGivesTheGoldenHfIdsWithoutSplicing() {
        for (Golden.Case c : Golden.CASES) {
            boolean template = c.llavaHfIds() != null;
            assertArrayEquals(template ? c.llavaHfIds() : c.ids(), llavaHf.encode(c.text(), true), c.text());
            if (template) assertArrayEquals(c.llavaHfIds(), ImageTokens.encode(llavaHf, c.text(), IMAGE, true), c.text());
        }
    }

    @Test
    void addedTokensExtendTheVocabulary() {
        assertEquals(32003, llavaHf.vocabSize());
        assertEquals("<image>", llavaHf.piece(IMAGE));
        assertEquals(PAD, llavaHf.id("<pad>").orElseThrow());
        assertEquals(PAD, llavaHf.padId());
        assertTrue(llavaHf.isSpecial(IMAGE) && llavaHf.isSpecial(PAD));
        assertFalse(llavaHf.isSpecial(IMAGE_PAD));
    }

    @Test
    void matchedVerbatimLongestFirstAndNeverSplit() {
        Tokenizer plain = Golden.fromJson();
        int[] space = Golden.of(" ").idsWithoutBos();   // a lone space segment: dummy prefix + the space
        assertArrayEquals(new int[]{IMAGE_PAD}, llavaHf.encode("<image><pad>", false));
        assertArrayEquals(new int[]{PAD, IMAGE}, llavaHf.encode("<pad><image>", false));
        assertArrayEquals(Golden.concat(new int[]{IMAGE}, space, new int[]{PAD}), llavaHf.encode("<image> <pad>", false));
        assertArrayEquals(Golden.concat(plain.encode("a", false), new int[]{IMAGE}, plain.encode("b", false)),
                llavaHf.encode("a<image>b", false));
        assertArrayEquals(plain.encode("<imag e>", false), llavaHf.encode("<imag e>", false));
    }

    @Test
    void decodeSkipsSpecialAddedTokensOrShowsThem() {
        int[] ids = Golden.of(TEMPLATE).llavaHfIds();
        // the second chunk's dummy prefix decodes to the space after <image>
        assertEquals(TEMPLATE.replace("<image>", " "), llavaHf.decode(ids));
        assertEquals("<s> " + TEMPLATE.replace("<image>", "<image> "), llavaHf.decode(ids, false));
        assertEquals("<image><pad>", llavaHf.decode(new int[]{IMAGE_PAD}));
    }

    @Test
    void sentencePieceUserDefinedPieceIsOneSymbolAfterASingleDummyPrefix() {
        assertEquals(32001, spUserDefined.vocabSize());
        assertFalse(spUserDefined.isSpecial(IMAGE));
        int[] hf = Golden.of(TEMPLATE).llavaHfIds();
        int at = Arrays.stream(hf).boxed().toList().indexOf(IMAGE);
        assertEquals(29871, hf[at + 1]);
        int[] expected = Golden.concat(Arrays.copyOfRange(hf, 0, at + 1), Arrays.copyOfRange(hf, at + 2, hf.length));
        assertArrayEquals(expected, spUserDefined.encode(TEMPLATE, true));
        int[] leading = {Golden.conventionId("bos_id"), 29871, IMAGE};
        assertArrayEquals(leading, spUserDefined.encode("<image>", true));
        assertEquals("<image>", spUserDefined.decode(leading));
    }
}
