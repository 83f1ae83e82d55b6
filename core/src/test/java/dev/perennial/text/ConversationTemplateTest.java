/*
 * Conversation templates (docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing and prompt facts", Conversation
 * template), with every expected id taken from golden cases and joined here by hand, not by the template code:
 *   - the vicuna_v1 single-turn prompt is the golden template case, and its ids are llava_original_ids /
 *     llava_hf_ids; llava_v1 differs only in "human" for "user";
 *   - training ids and labels for one and two rounds: system chunk "... USER: " (golden, with <s>), the image,
 *     "\nWhat is shown in this image? ASSISTANT:" (golden, its "▁" is the chunk's dummy prefix), an answer that
 *     is itself a golden text (its first piece carries the space after "ASSISTANT:"), </s>; the second round is
 *     "USER:" + question + " ASSISTANT:" + answer + </s>, each part from golden ids. Supervised: the answers'
 *     ids and their </s>, nothing else;
 *   - the quirk kept from LLaVA: an answer starting with a digit has a lone "▁" first, and it is supervised;
 *   - what makes LLaVA give up on a sample (rounds that do not split in two, a conversation not ending with an
 *     answer) leaves every label ignored;
 *   - plain: <s>, image, answer + "\n" (the newline piece <0x0A> as in golden "end with newline\n"), the first two ignored.
 */
package dev.perennial.text;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.perennial.text.ConversationTurn.gpt;
import static dev.perennial.text.ConversationTurn.human;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ConversationTemplateTest {
    private static final int IGNORE = LabeledTokens.IGNORE_INDEX;
    private static final int IMG = ImageTokens.ORIGINAL_IMAGE_TOKEN_ID;
    private static final int EOS = Golden.conventionId("eos_id");
    private static final String QUESTION = "<image>\nWhat is shown in this image?";

    private static final Golden.Case VICUNA = Golden.CASES.stream().filter(c -> c.llavaOriginalIds() != null && c.text().startsWith("A chat"))
            .findFirst().orElseThrow();
    private static final Golden.Case SYSTEM_USER = Golden.of(VICUNA.text().substring(0, VICUNA.text().indexOf("<image>")));
    private static final Golden.Case AFTER_IMAGE = Golden.of("\nWhat is shown in this image? ASSISTANT:");
    private static final Golden.Case ANSWER = Golden.of("The quick brown fox jumps over the lazy dog.");
    private static final Golden.Case QUESTION_2 = Golden.of("Hello world!");
    private static final Golden.Case ANSWER_2 = Golden.of("Hello, world! How are you today?");
    private static final Golden.Case DIGITS = Golden.of("1234567890 3.14159 -42 1e-10");

    /** "USER:" = golden "USER: " without its trailing lone "▁". */
    private static int[] user() {
        int[] ids = Golden.of("USER: ").idsWithoutBos();
        assertEquals("\u2581", Golden.of("USER: ").pieces().get(ids.length));
        return Arrays.copyOf(ids, ids.length - 1);
    }

    /** " ASSISTANT:" = the last five golden pieces of the text after the image. */
    private static int[] assistant() {
        List<String> pieces = AFTER_IMAGE.pieces();
        assertEquals(List.of("\u2581A", "SS", "IST", "ANT", ":"), pieces.subList(pieces.size() - 5, pieces.size()));
        int[] ids = AFTER_IMAGE.idsWithoutBos();
        return Arrays.copyOfRange(ids, ids.length - 5, ids.length);
    }

    private static int[] ignored(int n) {
        int[] out = new int[n];
        Arrays.fill(out, IGNORE);
        return out;
    }

    @Test
    void vicunaGenerationPromptIsTheGoldenTemplateCase() {
        List<ConversationTurn> turns = List.of(human(QUESTION));
        assertEquals(VICUNA.text(), ConversationTemplate.VICUNA_V1.generationPrompt(turns));
        for (Golden.Named l : Golden.loaders()) {
            assertArrayEquals(VICUNA.llavaOriginalIds(), ConversationTemplate.VICUNA_V1.generationIds(l.tokenizer(), turns, IMG));
            assertArrayEquals(VICUNA.llavaHfIds(), ConversationTemplate.VICUNA_V1.generationIds(l.tokenizer(), turns, Golden.conventionId("image_token_hf")));
        }
        String llava = VICUNA.text().replace("curious user", "curious human").replace("the user's questions", "the human's questions");
        assertEquals(llava, ConversationTemplate.LLAVA_V1.generationPrompt(turns));
    }

    @Test
    void templatesByLlavaName() {
        assertSame(ConversationTemplate.VICUNA_V1, ConversationTemplate.named("vicuna_v1"));
        assertSame(ConversationTemplate.VICUNA_V1, ConversationTemplate.named("v1"));
        assertSame(ConversationTemplate.LLAVA_V1, ConversationTemplate.named("llava_v1"));
        assertSame(ConversationTemplate.PLAIN, ConversationTemplate.named("plain"));
        assertThrows(IllegalArgumentException.class, () -> ConversationTemplate.named("mpt"));
    }

    @Test
    void oneRoundTraining() {
        int[] prompt = Golden.concat(SYSTEM_USER.ids(), new int[]{IMG}, AFTER_IMAGE.idsWithoutBos());
        int[] answer = Golden.concat(ANSWER.idsWithoutBos(), new int[]{EOS});
        for (Golden.Named l : Golden.loaders()) {
            LabeledTokens t = ConversationTemplate.VICUNA_V1.trainingTokens(l.tokenizer(), List.of(human(QUESTION), gpt(ANSWER.text())), IMG);
            assertArrayEquals(Golden.concat(prompt, answer), t.inputIds(), l.name());
            assertArrayEquals(Golden.concat(ignored(prompt.length), answer), t.labels(), l.name());
        }
    }

    @Test
    void twoRoundTraining() {
        int[] round1Prompt = Golden.concat(SYSTEM_USER.ids(), new int[]{IMG}, AFTER_IMAGE.idsWithoutBos());
        int[] answer1 = Golden.concat(ANSWER.idsWithoutBos(), new int[]{EOS});
        int[] round2Prompt = Golden.concat(user(), QUESTION_2.idsWithoutBos(), assistant());
        int[] answer2 = Golden.concat(ANSWER_2.idsWithoutBos(), new int[]{EOS});
        List<ConversationTurn> turns = List.of(human(QUESTION), gpt(ANSWER.text()), human(QUESTION_2.text()), gpt(ANSWER_2.text()));
        for (Golden.Named l : Golden.loaders()) {
            LabeledTokens t = ConversationTemplate.VICUNA_V1.trainingTokens(l.tokenizer(), turns, IMG);
            assertArrayEquals(Golden.concat(round1Prompt, answer1, round2Prompt, answer2), t.inputIds(), l.name());
            assertArrayEquals(Golden.concat(ignored(round1Prompt.length), answer1, ignored(round2Prompt.length), answer2), t.labels(), l.name());
            // a leading gpt turn is dropped, as LLaVA does
            List<ConversationTurn> leadingGpt = new ArrayList<>(turns);
            leadingGpt.add(0, gpt("ignored"));
            assertArrayEquals(t.labels(), ConversationTemplate.VICUNA_V1.trainingTokens(l.tokenizer(), leadingGpt, IMG).labels());
        }
    }

    @Test
    void multiTurnGenerationPromptAndIds() {
        List<ConversationTurn> turns = List.of(human(QUESTION), gpt(ANSWER.text()), human(QUESTION_2.text()));
        assertEquals(VICUNA.text() + " " + ANSWER.text() + "</s>USER: " + QUESTION_2.text() + " ASSISTANT:",
                ConversationTemplate.VICUNA_V1.generationPrompt(turns));
        int[] expected = Golden.concat(SYSTEM_USER.ids(), new int[]{IMG}, AFTER_IMAGE.idsWithoutBos(), ANSWER.idsWithoutBos(), new int[]{EOS},
                user(), QUESTION_2.idsWithoutBos(), assistant());
        assertArrayEquals(expected, ConversationTemplate.VICUNA_V1.generationIds(Golden.fromJson(), turns, IMG));
    }

    @Test
    void anAnswerStartingWithADigitHasItsLoneSpacePieceSupervised() {
        assertEquals("\u2581", DIGITS.pieces().get(1));
        int[] prompt = Golden.concat(SYSTEM_USER.ids(), new int[]{IMG}, AFTER_IMAGE.idsWithoutBos());
        int[] answer = Golden.concat(DIGITS.idsWithoutBos(), new int[]{EOS});
        LabeledTokens t = ConversationTemplate.VICUNA_V1.trainingTokens(Golden.fromJson(), List.of(human(QUESTION), gpt(DIGITS.text())), IMG);
        assertArrayEquals(Golden.concat(ignored(prompt.length), answer), t.labels());
    }

    @Test
    void conversationsLlavaCannotSplitAreNotSupervised() {
        Tokenizer tok = Golden.fromJson();
        List<List<ConversationTurn>> broken = List.of(
                List.of(human(QUESTION), gpt("It says ASSISTANT: twice, ASSISTANT: here.")),   // answer holds the separator
                List.of(human(QUESTION), gpt(ANSWER.text()), human(QUESTION_2.text())));        // no final answer
        for (List<ConversationTurn> turns : broken) {
            LabeledTokens t = ConversationTemplate.VICUNA_V1.trainingTokens(tok, turns, IMG);
            assertArrayEquals(ignored(t.inputIds().length), t.labels());
            assertEquals(0, t.supervisedCount());
        }
    }

    @Test
    void turnsMustAlternate() {
        Tokenizer tok = Golden.fromJson();
        assertThrows(IllegalArgumentException.class, () -> ConversationTemplate.VICUNA_V1.trainingTokens(tok, List.of(human("a"), human("b")), IMG));
        assertThrows(IllegalArgumentException.class, () -> ConversationTemplate.VICUNA_V1.generationPrompt(List.of(human("a"), gpt("b"))));
        assertThrows(IllegalArgumentException.class, () -> ConversationTemplate.VICUNA_V1.generationPrompt(List.of(gpt("b"))));
        assertThrows(IllegalArgumentException.class, () -> new ConversationTurn("system", "x"));
    }

    @Test
    void plainPretrainingFormat() {
        Tokenizer tok = Golden.fromJson();
        LabeledTokens t = ConversationTemplate.PLAIN.trainingTokens(tok, List.of(human(QUESTION), gpt(ANSWER.text())), IMG);
        Golden.Case endsWithNewline = Golden.of("end with newline\n");
        int newline = endsWithNewline.ids()[endsWithNewline.ids().length - 1];
        assertEquals("<0x0A>", endsWithNewline.pieces().get(endsWithNewline.ids().length - 1));
        int[] answer = Golden.concat(ANSWER.idsWithoutBos(), new int[]{newline});
        assertArrayEquals(Golden.concat(new int[]{tok.bosId(), IMG}, answer), t.inputIds());
        assertArrayEquals(Golden.concat(ignored(2), answer), t.labels());
        assertEquals(answer.length, t.supervisedCount());
        assertEquals(QUESTION + "\n", ConversationTemplate.PLAIN.generationPrompt(List.of(human(QUESTION))));
        assertThrows(IllegalArgumentException.class, () -> ConversationTemplate.PLAIN.trainingTokens(tok, List.of(human("no image"), gpt("x")), IMG));
        assertThrows(IllegalArgumentException.class,
                () -> ConversationTemplate.PLAIN.trainingTokens(tok, List.of(human(QUESTION), gpt("x"), human("y"), gpt("z")), IMG));
    }
}
