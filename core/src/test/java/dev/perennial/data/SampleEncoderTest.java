/*
 * SampleEncoder with the golden LLaMA tokenizer and the original image id -200. The two-round case builds its
 * expected ids and labels by hand from the tokenizer's chunk encodings (tokenizer_image_token: <s>, the text
 * before the image, -200, the text up to the first </s>, </s>, the second round, </s>; supervised: each answer's
 * tokens and its </s>), checks that "<image>" after the question was moved to the front first, and that the result
 * also equals ConversationTemplate's own output for the moved turns. Then: truncation to maxLength, text-only
 * samples (no move, no pixels), missing and corrupt images skipped and counted, refused inputs named by sample.
 */
package dev.perennial.data;

import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.ImageTokens;
import dev.perennial.text.LabeledTokens;
import dev.perennial.text.Tokenizer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

import static dev.perennial.text.ConversationTurn.gpt;
import static dev.perennial.text.ConversationTurn.human;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleEncoderTest {
    private static final int IMG = ImageTokens.ORIGINAL_IMAGE_TOKEN_ID;
    private static final int IGNORE = LabeledTokens.IGNORE_INDEX;
    private static final String SYSTEM = "A chat between a curious user and an artificial intelligence assistant. "
            + "The assistant gives helpful, detailed, and polite answers to the user's questions.";
    private static Tokenizer tokenizer;

    @TempDir
    Path dir;

    @BeforeAll
    static void loadTokenizer() throws IOException, URISyntaxException {
        tokenizer = Tokenizer.load(Path.of(SampleEncoderTest.class.getResource("/golden/tokenizer/tokenizer.json").toURI()));
    }

    private static final List<ConversationTurn> TWO_ROUNDS = List.of(human("What is in the picture?\n<image>"), gpt("A red bus."),
            human("Where is it going?"), gpt("To the city centre."));

    private ImageStore store() throws IOException {
        return new ImageStore(Files.createDirectories(dir.resolve("images")), TestImages.PROCESSOR, true);
    }

    private SampleEncoder encoder(ImageStore store, int maxLength) {
        return new SampleEncoder(tokenizer, ConversationTemplate.VICUNA_V1, IMG, store, maxLength);
    }

    private static int[] enc(String text) { return tokenizer.encode(text, false); }

    /** Appends the ids of one round chunk (instruction + answer), supervising what follows the instruction. */
    private static void round(IntStream.Builder ids, IntStream.Builder labels, String instruction, String answer) {
        int[] whole = enc(instruction + " " + answer), head = enc(instruction);
        assertArrayEquals(head, Arrays.copyOf(whole, head.length), "the answer starts a new piece");
        for (int i = 0; i < whole.length; i++) {
            ids.add(whole[i]);
            labels.add(i < head.length ? IGNORE : whole[i]);
        }
        ids.add(tokenizer.eosId());
        labels.add(tokenizer.eosId());
    }

    private static long[] longs(IntStream.Builder b) { return b.build().asLongStream().toArray(); }

    @Test
    void twoRoundsMatchHandBuiltIdsAndTheTemplate() throws IOException {
        ImageStore store = store();
        TestImages.png(dir.resolve("images/coco/bus.png"), 50, 30);
        LlavaSample sample = new LlavaSample(4, "bus", List.of("coco/bus.png"), TWO_ROUNDS);
        TrainingExample example = encoder(store, SampleEncoder.DEFAULT_MAX_LENGTH).encode(sample).orElseThrow();

        IntStream.Builder ids = IntStream.builder(), labels = IntStream.builder();
        ids.add(tokenizer.bosId());
        labels.add(IGNORE);
        for (int id : enc(SYSTEM + " USER: ")) {
            ids.add(id);
            labels.add(IGNORE);
        }
        ids.add(IMG);
        labels.add(IGNORE);
        round(ids, labels, "\nWhat is in the picture? ASSISTANT:", "A red bus.");
        round(ids, labels, "USER: Where is it going? ASSISTANT:", "To the city centre.");
        assertArrayEquals(longs(ids), example.inputIds());
        assertArrayEquals(longs(labels), example.labels());

        LabeledTokens template = ConversationTemplate.VICUNA_V1.trainingTokens(tokenizer,
                List.of(human("<image>\nWhat is in the picture?"), gpt("A red bus."), human("Where is it going?"), gpt("To the city centre.")), IMG);
        assertArrayEquals(Arrays.stream(template.inputIds()).asLongStream().toArray(), example.inputIds());
        assertArrayEquals(Arrays.stream(template.labels()).asLongStream().toArray(), example.labels());

        assertEquals(4, example.sampleIndex());
        assertEquals("bus", example.sampleId());
        assertArrayEquals(new int[]{3, TestImages.SIZE, TestImages.SIZE}, example.pixels().shape());
        assertEquals(1, store.loadedCount());
    }

    @Test
    void truncatesToMaxLengthCountingTheImageAsOnePosition() throws IOException {
        TestImages.png(dir.resolve("images/bus.png"), 20, 20);
        ImageStore store = store();
        LlavaSample sample = new LlavaSample(0, "bus", List.of("bus.png"), TWO_ROUNDS);
        TrainingExample full = encoder(store, SampleEncoder.DEFAULT_MAX_LENGTH).encode(sample).orElseThrow();
        SampleEncoder shortEncoder = encoder(store, 40);
        TrainingExample cut = shortEncoder.encode(sample).orElseThrow();
        assertTrue(full.length() > 40);
        assertArrayEquals(Arrays.copyOf(full.inputIds(), 40), cut.inputIds());
        assertArrayEquals(Arrays.copyOf(full.labels(), 40), cut.labels());
        assertEquals(1, shortEncoder.truncatedCount());
        assertEquals(0, encoder(store, full.length()).encode(sample).map(e -> e.length() - full.length()).orElseThrow());
    }

    @Test
    void truncationBeforeThePlaceholderDropsTheImage() throws IOException {
        TestImages.png(dir.resolve("images/bus.png"), 20, 20);
        ImageStore store = store();
        LlavaSample sample = new LlavaSample(0, "bus", List.of("bus.png"), TWO_ROUNDS);
        TrainingExample full = encoder(store, SampleEncoder.DEFAULT_MAX_LENGTH).encode(sample).orElseThrow();
        int marker = 0;
        while (full.inputIds()[marker] != IMG) marker++;
        TrainingExample cut = encoder(store, marker).encode(sample).orElseThrow();     // ends right before <image>
        assertTrue(Arrays.stream(cut.inputIds()).noneMatch(id -> id == IMG));
        assertNull(cut.pixels(), "no placeholder left, so no image to splice");
        assertNotNull(encoder(store, marker + 1).encode(sample).orElseThrow().pixels());
    }

    @Test
    void textOnlySamplesKeepTheirTurnsAndHaveNoPixels() throws ImagePathException {
        List<ConversationTurn> turns = List.of(human("Say <image> twice, <image>."), gpt("<image> <image>"));
        TrainingExample example = encoder(null, 2048).encode(new LlavaSample(1, null, List.of(), turns)).orElseThrow();
        assertNull(example.pixels());
        int[] expected = ConversationTemplate.VICUNA_V1.trainingTokens(tokenizer, turns, IMG).inputIds();
        assertArrayEquals(Arrays.stream(expected).asLongStream().toArray(), example.inputIds());
        assertEquals(4, Arrays.stream(example.inputIds()).filter(id -> id == IMG).count());
    }

    @Test
    void samplesWithUnusableImagesAreSkippedAndCounted() throws IOException {
        ImageStore store = store();
        TestImages.notAnImage(dir.resolve("images/text.jpg"));
        SampleEncoder encoder = encoder(store, 2048);
        assertTrue(encoder.encode(new LlavaSample(0, "a", List.of("missing.jpg"), TWO_ROUNDS)).isEmpty());
        assertTrue(encoder.encode(new LlavaSample(1, "b", List.of("text.jpg"), TWO_ROUNDS)).isEmpty());
        assertEquals(2, encoder.skippedCount());
        assertEquals(1, store.missingCount());
        assertEquals(1, store.corruptCount());
        assertThrows(ImagePathException.class, () -> encoder.encode(new LlavaSample(2, "c", List.of("../x.jpg"), TWO_ROUNDS)));
    }

    @Test
    void refusedInputsNameTheSample() throws IOException {
        SampleEncoder encoder = encoder(store(), 2048);
        IllegalArgumentException twoImages = assertThrows(IllegalArgumentException.class,
                () -> encoder.encode(new LlavaSample(3, "two", List.of("a.png", "b.png"), TWO_ROUNDS)));
        assertTrue(twoImages.getMessage().startsWith("sample 3 (id \"two\") has 2 images"), twoImages.getMessage());
        IllegalArgumentException order = assertThrows(IllegalArgumentException.class,
                () -> encoder.encode(new LlavaSample(5, "order", List.of(), List.of(human("a"), human("b")))));
        assertTrue(order.getMessage().startsWith("sample 5 (id \"order\"): turns must alternate"), order.getMessage());
        assertThrows(IllegalArgumentException.class, () -> encoder(null, 2048).encode(new LlavaSample(0, null, List.of("a.png"), TWO_ROUNDS)));
        assertThrows(IllegalArgumentException.class, () -> encoder(null, 0));
    }

    /**
     * requireTrainable (issue 20, item 4): a set without one supervised token is an error saying how many samples were
     * lost and why; one supervised token anywhere is enough.
     */
    @Test
    void aSetWithNothingToTrainIsAnErrorCountingTheCauses() {
        long[] cut = {1, 5, 6, 7}, cutLabels = {IGNORE, IGNORE, IGNORE, IGNORE};                 // at the limit of 4
        long[] quiet = {1, 5}, quietLabels = {IGNORE, IGNORE};                                  // shorter: no response at all
        TrainingExample a = new TrainingExample(0, "a", cut, cutLabels, null), b = new TrainingExample(1, "b", cut, cutLabels, null),
                c = new TrainingExample(2, "c", quiet, quietLabels, null);
        IllegalArgumentException all = assertThrows(IllegalArgumentException.class,
                () -> SampleEncoder.requireTrainable(List.of(a, b), 2, 4, "--max-length"));
        assertEquals("all 2 samples exceed --max-length 4 tokens before their first response token; nothing to train", all.getMessage());
        IllegalArgumentException mixed = assertThrows(IllegalArgumentException.class,
                () -> SampleEncoder.requireTrainable(List.of(a, b, c), 5, 4, "max_length"));
        assertEquals("none of the 5 samples is usable: 2 exceed max_length 4 tokens before their first response token, "
                + "1 have no response to learn, 2 were skipped (image could not be loaded); nothing to train", mixed.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> SampleEncoder.requireTrainable(List.of(), 0, 4, "--max-length"));
        assertEquals("there are no samples; nothing to train", none.getMessage());
        TrainingExample ok = new TrainingExample(3, "d", new long[]{1, 5, 6}, new long[]{IGNORE, IGNORE, 6}, null);
        SampleEncoder.requireTrainable(List.of(a, ok), 2, 4, "--max-length");                     // one supervised token: fine
    }
}
