/*
 * A task's accuracy (docs/methods/modalprompt.md §10.4): the mean score over ALL its test questions, the denominator being the
 * number of questions; a question without a prediction (null) scores 0. (GQA's official script averages over the
 * predicted questions only; here a missing answer is always a wrong answer, so runs compare on equal terms.)
 */
package dev.perennial.eval;

import java.util.List;

/**
 * A task's accuracy: the mean score of an {@code AnswerScorer} over ALL its test questions, a fraction in [0, 1]; a
 * question without a prediction (null) scores 0, so the denominator is always the number of questions.
 * <p>Stateless; its static method is safe to call from several threads if the scorer is (the standard ones are).
 */
public final class TaskAccuracy {
    private TaskAccuracy() {}

    /** mean_q scorer(prediction_q, reference_q), predictions aligned with references (null = not answered). */
    public static double of(AnswerScorer scorer, List<Reference> references, List<String> predictions) {
        if (references.size() != predictions.size()) {
            throw new IllegalArgumentException(predictions.size() + " predictions for " + references.size() + " questions");
        }
        if (references.isEmpty()) throw new IllegalArgumentException("a task without test questions has no accuracy");
        double sum = 0;
        for (int i = 0; i < references.size(); i++) {
            String p = predictions.get(i);
            if (p != null) sum += scorer.score(p, references.get(i));
        }
        return sum / references.size();
    }
}
