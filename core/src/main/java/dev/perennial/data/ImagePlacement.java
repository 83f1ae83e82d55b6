/*
 * LLaVA's preprocess_multimodal (llava/train/train.py), applied to samples that have an image: in every turn
 * whose value contains "<image>", all occurrences are removed, the rest is stripped, and the value becomes
 * "<image>\n" + rest, stripped again (so a turn that was only "<image>" becomes "<image>"). Turns without
 * the placeholder are untouched. In LLaVA data the placeholder sits in the first human turn, before or after the
 * question ("<image>\nWhat ..." or "What ...\n<image>"); both end up as "<image>\nWhat ...". Like LLaVA, a sample
 * with an image but no placeholder gets none added, and text-only samples are not passed through here.
 *
 * strip() is Python's str.strip(): it removes what str.isspace() calls whitespace, which is Java's
 * Character.isWhitespace plus the no-break spaces U+00A0, U+2007, U+202F and NEL U+0085.
 * (mm_use_im_start_end and the "mmtag" templates are LLaVA-1.0 options that LLaVA-1.5 turns off; not supported.)
 */
package dev.perennial.data;

import dev.perennial.text.ConversationTurn;
import dev.perennial.text.ImageTokens;

import java.util.List;

/**
 * LLaVA's {@code preprocess_multimodal} for samples with an image: {@code llavaOrder} moves the {@code <image>}
 * placeholder to the front of every turn that contains it ({@code "<image>\n" + rest}, stripped as Python's
 * {@code str.strip} does); turns without it are returned unchanged.
 * <p>Stateless; its static methods are safe to call from several threads (no static state; conversation turns are
 * immutable records).
 */
public final class ImagePlacement {
    private ImagePlacement() {}

    /** The turns with "<image>" moved to the front of each turn that contains it, as LLaVA trains on them. */
    public static List<ConversationTurn> llavaOrder(List<ConversationTurn> turns) {
        return turns.stream().map(ImagePlacement::imageFirst).toList();
    }

    private static ConversationTurn imageFirst(ConversationTurn turn) {
        if (!turn.value().contains(ImageTokens.PLACEHOLDER)) return turn;
        String rest = pythonStrip(turn.value().replace(ImageTokens.PLACEHOLDER, ""));
        return new ConversationTurn(turn.from(), pythonStrip(ImageTokens.PLACEHOLDER + "\n" + rest));
    }

    static String pythonStrip(String s) {
        int from = 0, to = s.length();
        while (from < to && isPythonSpace(s.charAt(from))) from++;
        while (to > from && isPythonSpace(s.charAt(to - 1))) to--;
        return s.substring(from, to);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || c == '\u00a0' || c == '\u2007' || c == '\u202f' || c == '\u0085';
    }
}
