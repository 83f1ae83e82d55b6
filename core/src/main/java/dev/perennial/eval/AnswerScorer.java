/*
 * Judges one generated answer against its reference (docs/methods/modalprompt.md §10.4): 1 for right, 0 for wrong, or a fraction
 * for soft metrics (VQA accuracy). A task's accuracy is the mean over ALL its test questions (TaskAccuracy), so a
 * question without a prediction counts as wrong.
 */
package dev.perennial.eval;

public interface AnswerScorer {
    /** The registry name (AnswerScorers). */
    String name();

    /** The score of {@code prediction} (never null; "" for an empty answer) in [0, 1]. */
    double score(String prediction, Reference reference);
}
