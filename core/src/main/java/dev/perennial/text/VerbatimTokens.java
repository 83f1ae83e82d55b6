/*
 * Tokens matched verbatim in the raw text before any normalisation and never split: HF added tokens that are
 * not pieces of the BPE model (llava-hf's "<image>" = 32000 and "<pad>" = 32001; docs/methods/llava-numerics.md, "Real
 * LLaVA-1.5 preprocessing and prompt facts", Image token) and SentencePiece user-defined pieces.
 *
 * The control tokens <s>, </s>, <unk> are deliberately not among them: SentencePiece reads "<s>" in text as
 * the characters '<', 's', '>' (golden case "<s> </s> <unk> tokens as plain text"), and so does this
 * tokenizer with either file format. (HF's fast tokenizer would match them; LLaVA's templates emit </s> as an
 * id instead, see ConversationTemplate.)
 *
 * Matching is leftmost-longest, like HF's added-vocabulary matcher: at each position the longest token that
 * starts there wins.
 */
package dev.perennial.text;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class VerbatimTokens {
    /** text[start, end) is either the verbatim token id (id >= 0) or plain text (id == -1). */
    record Segment(int start, int end, int id) {}

    private final Map<Character, List<Map.Entry<String, Integer>>> byFirstChar = new HashMap<>();

    /** @param tokens token text -> id */
    VerbatimTokens(Map<String, Integer> tokens) {
        tokens.entrySet().forEach(e -> byFirstChar.computeIfAbsent(e.getKey().charAt(0), k -> new ArrayList<>()).add(e));
        byFirstChar.values().forEach(l -> l.sort(Comparator.comparingInt((Map.Entry<String, Integer> e) -> -e.getKey().length())));
    }

    /** The text cut into plain-text segments (never empty) and verbatim tokens, in order. */
    List<Segment> split(String text) {
        List<Segment> segments = new ArrayList<>();
        int plainStart = 0;
        for (int i = 0; i < text.length(); ) {
            Map.Entry<String, Integer> match = longestAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            if (plainStart < i) segments.add(new Segment(plainStart, i, -1));
            int end = i + match.getKey().length();
            segments.add(new Segment(i, end, match.getValue()));
            i = plainStart = end;
        }
        if (plainStart < text.length()) segments.add(new Segment(plainStart, text.length(), -1));
        return segments;
    }

    private Map.Entry<String, Integer> longestAt(String text, int i) {
        List<Map.Entry<String, Integer>> candidates = byFirstChar.get(text.charAt(i));
        if (candidates == null) return null;
        for (Map.Entry<String, Integer> e : candidates) {
            if (text.startsWith(e.getKey(), i)) return e;
        }
        return null;
    }
}
