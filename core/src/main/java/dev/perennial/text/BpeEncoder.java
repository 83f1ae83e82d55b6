/*
 * Byte-pair encoding of one word, shared by both LLaMA file formats (a text segment with spaces already marked
 * "▁"; only the MergeRule differs, docs/methods/llava-numerics.md, "Tokenizer golden") and by the CLIP tokenizer.
 *
 * A LLaMA word starts as one symbol per code point (encode). A CLIP word starts as one GPT-2 byte symbol per
 * UTF-8 byte, the last one carrying the end-of-word suffix "</w>", so its caller picks the starting ids
 * (encodeSymbols). Either way, every adjacent pair that may merge is put in a priority queue (most urgent first,
 * ties to the leftmost pair); the loop pops a pair, skips it if either symbol has changed since it was queued,
 * merges the two in a doubly linked list, and queues the new symbol's pairs with its two neighbours. That is
 * O(n log n) for n symbols, where re-scanning the word for the best pair after every merge is O(n^2) (a
 * 2,000-token prompt is several thousand code points).
 *
 * A LLaMA symbol that ends up without a piece id (a character outside the vocabulary, e.g. most emoji) is spelled
 * as its UTF-8 bytes with the pieces <0x00>..<0xFF> ("byte fallback"); Vocabulary guarantees they exist.
 * A Java string with an unpaired surrogate has no UTF-8 form and is refused rather than spelled as '?'.
 */
package dev.perennial.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.IntConsumer;

final class BpeEncoder {
    private final MergeRule rule;
    private final int[] bmpIds = new int[Character.MAX_VALUE + 1];
    private final Map<Integer, Integer> supplementaryIds = new HashMap<>();
    private final int[] byteIds;

    /** A queued pair: symbols left and right, which together span length chars, would become piece id. */
    private record Candidate(double priority, int left, int right, int length, int id) {}

    private static final Comparator<Candidate> URGENCY =
            Comparator.comparingDouble(Candidate::priority).thenComparingInt(Candidate::left);

    /**
     * @param symbolIds pieces a single code point may start as (single-character entries are used)
     * @param byteIds   ids of <0x00>..<0xFF> (kept, not copied)
     */
    BpeEncoder(Map<String, Integer> symbolIds, MergeRule rule, int[] byteIds) {
        this.rule = rule;
        this.byteIds = byteIds;
        Arrays.fill(bmpIds, -1);
        symbolIds.forEach((piece, id) -> {
            if (piece.codePointCount(0, piece.length()) != 1) return;
            int cp = piece.codePointAt(0);
            if (cp <= Character.MAX_VALUE) bmpIds[cp] = id;
            else supplementaryIds.put(cp, id);
        });
    }

    /** Appends the ids of word to out. */
    void encode(String word, IntConsumer out) {
        int n = word.codePointCount(0, word.length());
        int[] start = new int[n], end = new int[n], id = new int[n];
        for (int i = 0, pos = 0; i < n; i++) {
            int cp = word.codePointAt(pos);
            if (Character.getType(cp) == Character.SURROGATE) {
                throw new IllegalArgumentException("text holds an unpaired surrogate (U+"
                        + Integer.toHexString(cp).toUpperCase(Locale.ROOT) + "), which has no UTF-8 form");
            }
            start[i] = pos;
            pos += Character.charCount(cp);
            end[i] = pos;
            id[i] = cp <= Character.MAX_VALUE ? bmpIds[cp] : supplementaryIds.getOrDefault(cp, -1);
        }
        int[] next = merge(rule, word, start, end, id);
        for (int i = 0; i >= 0 && n > 0; i = next[i]) {
            if (id[i] >= 0) {
                out.accept(id[i]);
            } else {
                for (byte b : word.substring(start[i], end[i]).getBytes(StandardCharsets.UTF_8)) out.accept(byteIds[b & 0xff]);
            }
        }
    }

    /**
     * BPE over symbols the caller has already mapped to ids (CLIP: one byte symbol per char of word, the last one
     * with its end-of-word suffix): symbol i is word.charAt(i) with id symbolIds[i] (every id >= 0). Appends the
     * ids after merging to out.
     */
    static void encodeSymbols(MergeRule rule, String word, int[] symbolIds, IntConsumer out) {
        int n = word.length();
        if (symbolIds.length != n) throw new IllegalArgumentException(n + " symbols but " + symbolIds.length + " ids");
        int[] start = new int[n], end = new int[n], id = symbolIds.clone();
        for (int i = 0; i < n; i++) {
            start[i] = i;
            end[i] = i + 1;
        }
        int[] next = merge(rule, word, start, end, id);
        for (int i = 0; i >= 0 && n > 0; i = next[i]) out.accept(id[i]);
    }

    /**
     * Merges the symbols word[start[i], end[i]) with ids id[i] in place (see the class comment); returns the
     * links of the surviving symbols: next[i] follows symbol i, -1 after the last, starting at symbol 0.
     */
    private static int[] merge(MergeRule rule, String word, int[] start, int[] end, int[] id) {
        int n = start.length;
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Candidate> queue = new PriorityQueue<>(Math.max(1, n), URGENCY);
        for (int i = 1; i < n; i++) offer(rule, queue, word, i - 1, i, start, end, id);

        while (!queue.isEmpty()) {
            Candidate c = queue.poll();
            int l = c.left(), r = c.right();
            // stale: the left symbol was absorbed, its neighbour changed, or the right one grew
            if (start[l] < 0 || start[r] < 0 || next[l] != r || end[r] - start[l] != c.length()) continue;
            end[l] = end[r];
            id[l] = c.id();
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            start[r] = -1;
            if (prev[l] >= 0) offer(rule, queue, word, prev[l], l, start, end, id);
            if (next[l] >= 0) offer(rule, queue, word, l, next[l], start, end, id);
        }
        return next;
    }

    private static void offer(MergeRule rule, PriorityQueue<Candidate> queue, String word, int l, int r, int[] start, int[] end,
                              int[] id) {
        MergeRule.Merge m = rule.find(word, start[l], end[l], end[r], id[l], id[r]);
        if (m != null) queue.add(new Candidate(m.priority(), l, r, end[r] - start[l], m.id()));
    }
}
