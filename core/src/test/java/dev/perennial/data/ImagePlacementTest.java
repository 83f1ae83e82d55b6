/*
 * ImagePlacement against preprocess_multimodal's rules, with expected values written out by hand: "<image>"
 * after the question moves to the front, a repeated placeholder collapses to one, surrounding whitespace (Python's
 * isspace set, NBSP included) goes, a turn that is only "<image>" stays "<image>", turns without it are untouched.
 */
package dev.perennial.data;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.perennial.text.ConversationTurn.gpt;
import static dev.perennial.text.ConversationTurn.human;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ImagePlacementTest {

    @Test
    void movesThePlaceholderToTheFrontOfEachTurnWithIt() {
        assertEquals(List.of(human("<image>\nWhat is this?"), gpt("A cat."), human("And that?")),
                ImagePlacement.llavaOrder(List.of(human("What is this?\n<image>"), gpt("A cat."), human("And that?"))));
        assertEquals(List.of(human("<image>\nWhat is this?")), ImagePlacement.llavaOrder(List.of(human("<image>\nWhat is this?"))));
        assertEquals(List.of(human("<image>\nLeft right")), ImagePlacement.llavaOrder(List.of(human(" Left <image>right<image> \n"))));
        assertEquals(List.of(human("<image>"), gpt("<image>\nx")), ImagePlacement.llavaOrder(List.of(human(" <image>\t"), gpt("x<image>"))));
        assertEquals(List.of(human("<image>\nq")), ImagePlacement.llavaOrder(List.of(human("\u00a0<image>\u2007q\u202f\u0085"))));
        assertEquals(List.of(human("  no image  ")), ImagePlacement.llavaOrder(List.of(human("  no image  "))));
    }

    @Test
    void stripIsPythons() {
        assertEquals("a b", ImagePlacement.pythonStrip("\u00a0\u2007\u202f\u0085\u001c \t\r\n\u000b\u000c\u2003a b\u3000\u2028\u2029"));
        assertEquals("\u200ba\u200b", ImagePlacement.pythonStrip("\u200ba\u200b"));   // zero-width space is not whitespace in Python
    }
}
