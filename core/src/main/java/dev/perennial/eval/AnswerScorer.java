/*
 * Judges one generated answer against its reference (docs/methods/modalprompt.md §10.4): 1 for right, 0 for wrong, or a fraction
 * for soft metrics (VQA accuracy). A task's accuracy is the mean over ALL its test questions (TaskAccuracy), so a
 * question without a prediction counts as wrong.
 */
package dev.perennial.eval;

/**
 * Judges one generated answer against its {@code Reference}: a score in [0, 1] (1 right, 0 wrong, a fraction for soft
 * metrics such as VQA accuracy); {@code name()} is its key in {@code AnswerScorers}.
 * <p>Thread-safety is the implementation's; the scorers of {@code AnswerScorers.standard()} keep no state and are safe
 * to share between threads.
 */
public interface AnswerScorer {
    /** The registry name (AnswerScorers). */
    String name();

    /** The score of {@code prediction} (never null; "" for an empty answer) in [0, 1]. */
    double score(String prediction, Reference reference);
}
