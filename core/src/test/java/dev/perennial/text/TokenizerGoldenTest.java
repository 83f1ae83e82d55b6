/*
 * Every case of tokenizer-golden.json (docs/methods/llava-numerics.md, "Tokenizer golden"), from both loaders: ids with
 * <s>, ids without, pieces, decoded text; the decoded text with special tokens kept ("<s>" and then the text,
 * whose dummy-prefix space the decoder keeps once it is not at the start: HF's LLaMA decoder); the template
 * cases spliced with the original (-200), HF (32000) and tiny-checkpoint (300) image ids; and the conventions
 * block (special ids, "▁" = 29871, "\n" = <0x0A> = 13, 32000 pieces, the same piece for every id in both files).
 */
package dev.perennial.text;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenizerGoldenTest {

    static Stream<Arguments> cases() {
        return Golden.loaders().stream().flatMap(l -> Golden.CASES.stream().map(c -> Arguments.of(l, c)));
    }

    static Stream<Arguments> templateCases() {
        return cases().filter(a -> ((Golden.Case) a.get()[1]).llavaOriginalIds() != null);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("cases")
    void idsPiecesAndDecodedText(Golden.Named loader, Golden.Case c) {
        Tokenizer t = loader.tokenizer();
        assertArrayEquals(c.ids(), t.encode(c.text(), true));
        assertArrayEquals(c.idsWithoutBos(), t.encode(c.text(), false));
        assertEquals(c.pieces(), Arrays.stream(c.ids()).mapToObj(t::piece).toList());
        assertEquals(c.decoded(), t.decode(c.ids()));
        assertEquals(c.decoded(), t.decode(c.idsWithoutBos()));
        assertEquals("<s> " + c.decoded(), t.decode(c.ids(), false));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("templateCases")
    void templateCasesWithTheImageTokenSpliced(Golden.Named loader, Golden.Case c) {
        Tokenizer t = loader.tokenizer();
        assertArrayEquals(c.llavaOriginalIds(), ImageTokens.encode(t, c.text(), ImageTokens.ORIGINAL_IMAGE_TOKEN_ID, true));
        assertArrayEquals(c.llavaOriginalIds(), ImageTokens.encode(t, c.text(), Golden.conventionId("image_token_original"), true));
        assertArrayEquals(c.llavaHfIds(), ImageTokens.encode(t, c.text(), Golden.conventionId("image_token_hf"), true));
        int[] tiny = Arrays.stream(c.llavaOriginalIds()).map(id -> id == -200 ? 300 : id).toArray();
        assertArrayEquals(tiny, ImageTokens.encode(t, c.text(), 300, true));
        int[] withoutBos = Arrays.copyOfRange(c.llavaOriginalIds(), 1, c.llavaOriginalIds().length);
        assertArrayEquals(withoutBos, ImageTokens.encode(t, c.text(), -200, false));
    }

    @Test
    void imageTokensAtTheEdgesOfThePromptAddNoChunkIds() {
        for (Golden.Named l : Golden.loaders()) {
            Tokenizer t = l.tokenizer();
            int bos = Golden.conventionId("bos_id");
            assertArrayEquals(new int[]{bos, -200}, ImageTokens.encode(t, "<image>", -200, true));
            assertArrayEquals(new int[]{-200, -200}, ImageTokens.encode(t, "<image><image>", -200, false));
            Golden.Case user = Golden.of("USER: ");
            assertArrayEquals(Golden.concat(user.ids(), new int[]{-200}), ImageTokens.encode(t, "USER: <image>", -200, true));
        }
    }

    @Test
    void emptyTextIsBosOnly() {
        for (Golden.Named l : Golden.loaders()) {
            assertArrayEquals(new int[]{Golden.conventionId("bos_id")}, l.tokenizer().encode("", true));
            assertArrayEquals(new int[0], l.tokenizer().encode("", false));
            assertEquals("", l.tokenizer().decode(new int[]{1}));
        }
    }

    @Test
    void conventions() {
        for (Golden.Named l : Golden.loaders()) {
            Tokenizer t = l.tokenizer();
            assertEquals(32000, t.vocabSize());
            assertEquals(Golden.conventionId("bos_id"), t.bosId());
            assertEquals(Golden.conventionId("eos_id"), t.eosId());
            assertEquals(Golden.conventionId("unk_id"), t.unkId());
            assertEquals(t.unkId(), t.padId(), "no <pad> piece: LLaVA training pads with <unk>");
            assertEquals("\u2581", t.piece(29871));
            assertEquals(29871, t.id("\u2581").orElseThrow());
            assertEquals("<0x0A>", t.piece(13));
            int[] newline = Golden.of("\nWhat is shown in this image? ASSISTANT:").idsWithoutBos();
            assertArrayEquals(Arrays.copyOf(newline, 2), t.encode("\n", false));   // dummy prefix, then <0x0A>
            assertEquals(13, newline[1]);
            assertTrue(t.isSpecial(t.bosId()) && t.isSpecial(t.eosId()) && t.isSpecial(t.unkId()));
            assertFalse(t.isSpecial(13) || t.isSpecial(29871));
            assertTrue(t.id("no such piece").isEmpty());
        }
    }

    @Test
    void bothFilesHoldTheSamePieceForEveryId() {
        Tokenizer json = Golden.fromJson(), model = Golden.fromModel();
        for (int id = 0; id < json.vocabSize(); id++) assertEquals(json.piece(id), model.piece(id), "id " + id);
    }

    @Test
    void idsOutsideTheVocabularyAreRefused() {
        Tokenizer t = Golden.fromJson();
        for (int bad : List.of(-200, -1, 32000)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> t.decode(new int[]{1, bad}));
            assertTrue(e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
    }
}
