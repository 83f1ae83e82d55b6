/*
 * The answer scorers (docs/methods/modalprompt.md §10.4) case by case, with hand-worked values: ScienceQA letter parsing (each
 * branch), VQA normalisation and soft accuracy (1, 2, 3, 4 of 10 references matching: 0.3, 0.6, 0.9, 1.0), the
 * case rules of the exact-match tasks, ImageNet's substring rule without B11's empty answer, the robust box parser
 * (B10's example keeps its last digit) and IoU, and TaskAccuracy's denominator.
 */
package dev.perennial.eval;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class AnswerScorersTest {
    static final AnswerScorers S = AnswerScorers.standard();

    static double score(String scorer, String prediction, String... refs) {
        return S.get(scorer).score(prediction, Reference.of(refs));
    }

    @Test
    void scienceQaLetters() {
        assertEquals(1, ScienceQaAnswer.parse("B"));
        assertEquals(2, ScienceQaAnswer.parse("C. magnetic force"));
        assertEquals(3, ScienceQaAnswer.parse("The answer is D."));
        assertEquals(0, ScienceQaAnswer.parse("it is a b"), "the first standalone single character, upper-cased");
        assertEquals(-1, ScienceQaAnswer.parse("I think so"), "'I' is a single character but no option");
        assertEquals(-1, ScienceQaAnswer.parse("none of them"));
        assertEquals(-1, ScienceQaAnswer.parse("F"));
        assertEquals(1.0, score("scienceqa", "B", "B"));
        assertEquals(1.0, score("scienceqa", "B. gravity", "1"), "the reference may be the option index");
        assertEquals(0.0, score("scienceqa", "unsure", "A"));
        assertThrows(IllegalArgumentException.class, () -> score("scienceqa", "A", "Z"));
    }

    @Test
    void vqaNormalisation() {
        assertEquals("2", VqaNormalizer.normalize("Two"));
        assertEquals("dog", VqaNormalizer.normalize("a dog."));
        assertEquals("cat", VqaNormalizer.normalize("The Cat!"));
        assertEquals("don't", VqaNormalizer.normalize("dont"));
        assertEquals("3.5", VqaNormalizer.normalize("3.5"));
        assertEquals("1000", VqaNormalizer.normalize("1,000"));
        assertEquals("yes", VqaNormalizer.normalize(" Yes.\n"));
        assertEquals("red white", VqaNormalizer.normalize("red/white"), "a slash not next to a space becomes a space");
        assertEquals("man 's hat", VqaNormalizer.normalize("the man's hat"));
    }

    @Test
    void vqaSoftAccuracy() {
        for (int matches = 0; matches <= 5; matches++) {
            List<String> refs = new ArrayList<>();
            for (int i = 0; i < 10; i++) refs.add(i < matches ? "two" : "three");
            double expected = switch (matches) { case 0 -> 0; case 1 -> 0.3; case 2 -> 0.6; case 3 -> 0.9; default -> 1.0; };
            assertEquals(expected, AnswerScorers.vqaAccuracy("2", new Reference(refs, null, null)), 1e-12, matches + " matches");
        }
        assertEquals(1.0, score("vqa", "A Dog", "dog"), "one reference: exact after normalisation");
        assertEquals(0.0, score("vqa", "cat", "dog"));
    }

    @Test
    void exactMatchCaseRules() {
        assertEquals(1.0, score("exact_upper", "unanswerable", "Unanswerable"));
        assertEquals(0.0, score("exact", "Red", "red"));
        assertEquals(1.0, score("exact_lower", "Red", "red"));
        assertEquals(0.0, score("exact_lower", "Unanswerable", "unanswerable"), "OCR-VQA: Unanswerable is wrong");
        assertEquals(1.0, score("gqa", "Yes.", "yes"));
        assertEquals(0.0, score("gqa", "yes..", "yes"), "only one trailing period is removed");
        assertEquals(1.0, score("short", " Left. ", "left"));
        assertEquals(1.0, score("substring", "tabby cat", "cat"));
        assertEquals(1.0, score("substring", "cat", "tabby cat"));
        assertEquals(0.0, score("substring", "", "cat"), "B11: an empty answer is wrong");
        assertEquals(0.0, score("substring", "Cat", "tabby cat"), "case-sensitive");
    }

    @Test
    void boxesAndGrounding() {
        assertArrayEquals(new double[]{0.12, 0.34, 0.56, 0.78}, Boxes.parse("[0.12, 0.34, 0.56, 0.78]"), 0);
        assertArrayEquals(new double[]{0.1, 0.2, 0.3, 0.4}, Boxes.parse("The box is (0.1,0.2,0.3,0.4)."), 0);
        assertArrayEquals(new double[]{10, 20, 30, 40}, Boxes.parse("[10, 20, 30, 40]"), 0);
        assertNull(Boxes.parse("[0.1, 0.2, 0.3]"));
        assertNull(Boxes.parse("no box"));
        double[] a = {0, 0, 2, 2}, b = {1, 0, 3, 2};
        assertEquals(1.0 / 3, Boxes.iou(a, b), 1e-12);                                    // 2 / (4 + 4 - 2)
        assertEquals(Boxes.iou(a, b), Boxes.iou(b, a));
        assertEquals(1.0, Boxes.iou(a, a));
        assertEquals(0.0, Boxes.iou(a, new double[]{5, 5, 6, 6}));
        assertEquals(0.0, Boxes.iou(new double[]{1, 1, 1, 1}, new double[]{1, 1, 1, 1}), "empty boxes");
        Reference ref = new Reference(List.of(), "[0.12, 0.34, 0.56, 0.78]", new int[]{640, 480});
        // B10: the official parser would read y2 as 0.7; IoU of [.12,.34,.56,.7] with the reference is 0.818, still > 0.5,
        // but a prediction whose y2 matters is judged on its real value here
        assertEquals(1.0, S.get("grounding").score("[0.12, 0.34, 0.56, 0.78]", ref));
        assertEquals(0.0, S.get("grounding").score("[0.5, 0.5, 0.9, 0.9]", ref));
        assertEquals(0.0, S.get("grounding").score("somewhere left", ref));
    }

    @Test
    void taskAccuracyCountsMissingAnswersAsWrong() {
        List<Reference> refs = List.of(Reference.of("a"), Reference.of("b"), Reference.of("c"), Reference.of("d"));
        assertEquals(0.5, TaskAccuracy.of(S.get("exact"), refs, Arrays.asList("a", null, "c", "x")), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> TaskAccuracy.of(S.get("exact"), refs, List.of("a")));
        var unknown = assertThrows(IllegalArgumentException.class, () -> S.get("bleu"));
        assertTrue(unknown.getMessage().contains("known: scienceqa"), unknown.getMessage());
    }
}
