/*
 * The merge rule of an HF tokenizer.json BPE model: "merges" lists piece pairs in priority order (first = most
 * urgent), either as "left right" strings or, in newer files, as ["left", "right"] arrays; a CLIP merges.txt is the
 * same list, one "left right" per line. A pair merges only if
 * it is listed, whatever its concatenation; a character outside the vocabulary never merges (HF turns it into
 * byte pieces before merging; no LLaMA merge involves a byte piece). Lookups go by the pair of ids.
 */
package dev.perennial.text;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class RankedPairMerges implements MergeRule {
    private final Map<Long, Merge> merges;

    /** @param pairs the merge list in priority order; each element {left, right} */
    RankedPairMerges(Path file, List<String[]> pairs, Map<String, Integer> vocab) throws TokenizerFormatException {
        merges = new HashMap<>(pairs.size() * 2);
        for (int rank = 0; rank < pairs.size(); rank++) {
            String left = pairs.get(rank)[0], right = pairs.get(rank)[1];
            Integer l = vocab.get(left), r = vocab.get(right), merged = vocab.get(left + right);
            if (l == null || r == null || merged == null) {
                String missing = l == null ? left : r == null ? right : left + right;
                throw new TokenizerFormatException(file, "merge " + rank + " ('" + left + "' '" + right + "'): '"
                        + missing + "' is not in the vocabulary");
            }
            merges.put(key(l, r), new Merge(rank, merged));   // a repeated pair: the later rank holds, as in HF
        }
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xffffffffL);
    }

    @Override
    public Merge find(String word, int start, int mid, int end, int leftId, int rightId) {
        return leftId < 0 || rightId < 0 ? null : merges.get(key(leftId, rightId));
    }
}
