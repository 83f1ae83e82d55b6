/*
 * Which two adjacent symbols BPE may merge, and how urgently: the one point where the two file formats differ
 * (docs/methods/llava-numerics.md, "Tokenizer golden": the HF merge list and the SentencePiece scores give the same ids on
 * every golden case).
 *   - RankedPairMerges (tokenizer.json): a merge is an explicit (left piece, right piece) pair; its priority is
 *     its position in the merge list.
 *   - ScoredPieceMerges (tokenizer.model): any two symbols whose concatenation is a piece merge; the priority is
 *     that piece's score (higher first).
 * BpeEncoder always merges the most urgent candidate first (lowest priority value), ties to the leftmost.
 */
package dev.perennial.text;

interface MergeRule {

    /** A possible merge: its priority (lower merges first) and the id of the merged piece. */
    record Merge(double priority, int id) {}

    /**
     * The merge of the adjacent symbols word[start, mid) and word[mid, end), whose piece ids are leftId and
     * rightId (-1 for a character that is not a piece), or null when they do not merge.
     */
    Merge find(String word, int start, int mid, int end, int leftId, int rightId);
}
