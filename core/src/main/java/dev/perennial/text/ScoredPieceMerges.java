/*
 * The merge rule of a SentencePiece BPE model (google/sentencepiece bpe_model.cc, read for its algorithm): two
 * adjacent symbols merge when their concatenated text is a normal piece, and the pair whose piece has the
 * highest score merges first. Unlike the HF rule this looks at text, so a character that is not itself a piece
 * can still be part of a merge. The priority is -score (BpeEncoder takes the lowest first; ties go to the
 * leftmost pair, as in SentencePiece).
 */
package dev.perennial.text;

import java.util.HashMap;
import java.util.Map;

final class ScoredPieceMerges implements MergeRule {
    private final Map<String, Merge> pieces;

    /** @param scores score of every normal piece, by piece; ids gives their ids */
    ScoredPieceMerges(Map<String, Float> scores, Map<String, Integer> ids) {
        pieces = new HashMap<>(scores.size() * 2);
        scores.forEach((piece, score) -> pieces.put(piece, new Merge(-(double) score, ids.get(piece))));
    }

    @Override
    public Merge find(String word, int start, int mid, int end, int leftId, int rightId) {
        return pieces.get(word.substring(start, end));
    }
}
