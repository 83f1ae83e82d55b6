/*
 * Continual-learning metrics over an AccuracyMatrix (docs/methods/modalprompt.md §10.5, docs/methods/adapt-inf.md §8.2),
 * with T = the steps recorded and A[j][i] 0-based (the spec's formulas are 1-based), b_i = the matrix's zero-shot row
 * (the base model before any training):
 *   finalAverage (Last, MFN)  (1/T) sum_i A[T-1][i]
 *   mft                       (1/T) sum_i A[i][i]                       accuracy right after learning each task
 *   maa                       (1/T) sum_j (1/(j+1)) sum_{i<=j} A[j][i]   the mean of the per-step averages
 *   bwt                       (1/D) sum_{i<T-1} (A[T-1][i] - A[i][i])    D = T-1 (default) or T (some code bases)
 *   forgetting                (1/(T-1)) sum_{i<T-1} (max_{i<=l<T-1} A[l][i] - A[T-1][i])
 *   forwardTransfer           (1/(T-1)) sum_{i>=1} (A[i-1][i] - b_i)     GEM's FWT (Lopez-Paz and Ranzato, 2017): the
 *                                                                       accuracy on task i just before it is trained,
 *                                                                       over the base model's
 *   relativeGain              (100/|J|) sum_{i in J} A[T-1][i] / R[T-1][i]   ADAPT-∞'s relative gain in percent against a
 *                                                                       reference run R (the multi-task model), J =
 *                                                                       the tasks with R[T-1][i] > 0
 * BWT, forgetting and forward transfer are NaN for a single step (nothing to compare). Forward transfer is also NaN
 * without the zero-shot row or when an entry A[i-1][i] was not evaluated (a run without evaluate_future), so a
 * report shows it as undefined rather than failing. Relative gain: a task on which the reference scored 0 has no
 * ratio and is left out of the mean (relativeGainTasks says which are used); it is NaN when the reference scored 0
 * everywhere.
 */
package dev.perennial.eval;

/**
 * Continual-learning metrics of an {@code AccuracyMatrix} with T recorded steps, as fractions: final average accuracy,
 * MFT, MAA, backward transfer (over T - 1 or T), forgetting, forward transfer against the matrix's zero-shot row, and
 * ADAPT-∞'s relative gain against a reference run (in percent). BWT, forgetting and forward transfer are NaN for a
 * single step; forward transfer also where its entries are missing, relative gain where the reference scored 0 on
 * every task.
 * <p>Stateless; its static methods are safe to call from several threads while no thread adds rows to the matrix
 * ({@code AccuracyMatrix} is not thread-safe).
 */
public final class ContinualMetrics {
    /** BWT's denominator. */
    public enum Denominator { T_MINUS_1, T }

    private ContinualMetrics() {}

    public static double finalAverage(AccuracyMatrix a) {
        int t = steps(a);
        double s = 0;
        for (int i = 0; i < t; i++) s += a.get(t - 1, i);
        return s / t;
    }

    public static double mft(AccuracyMatrix a) {
        int t = steps(a);
        double s = 0;
        for (int i = 0; i < t; i++) s += a.get(i, i);
        return s / t;
    }

    public static double maa(AccuracyMatrix a) {
        int t = steps(a);
        double s = 0;
        for (int j = 0; j < t; j++) {
            double row = 0;
            for (int i = 0; i <= j; i++) row += a.get(j, i);
            s += row / (j + 1);
        }
        return s / t;
    }

    public static double bwt(AccuracyMatrix a) { return bwt(a, Denominator.T_MINUS_1); }

    public static double bwt(AccuracyMatrix a, Denominator d) {
        int t = steps(a);
        if (t < 2) return Double.NaN;
        double s = 0;
        for (int i = 0; i < t - 1; i++) s += a.get(t - 1, i) - a.get(i, i);
        return s / (d == Denominator.T ? t : t - 1);
    }

    public static double forgetting(AccuracyMatrix a) {
        int t = steps(a);
        if (t < 2) return Double.NaN;
        double s = 0;
        for (int i = 0; i < t - 1; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int l = i; l < t - 1; l++) best = Math.max(best, a.get(l, i));
            s += best - a.get(t - 1, i);
        }
        return s / (t - 1);
    }

    /** GEM's forward transfer against the zero-shot row; NaN for one step, without the row or with an A[i-1][i] missing. */
    public static double forwardTransfer(AccuracyMatrix a) {
        int t = steps(a);
        double[] baseline = a.zeroShot();
        if (t < 2 || baseline == null) return Double.NaN;
        double s = 0;
        for (int i = 1; i < t; i++) s += a.get(i - 1, i) - baseline[i];        // NaN when A[i-1][i] was not evaluated
        return s / (t - 1);
    }

    /**
     * ADAPT-∞'s relative gain in percent: the mean over the tasks i with reference[T-1][i] > 0 of
     * a[T-1][i] / reference[T-1][i] × 100 (both matrices over the same tasks and steps); NaN when there is no such task.
     */
    public static double relativeGain(AccuracyMatrix a, AccuracyMatrix reference) {
        int[] used = relativeGainTasks(a, reference);
        if (used.length == 0) return Double.NaN;
        int last = a.steps() - 1;
        double s = 0;
        for (int i : used) s += a.get(last, i) / reference.get(last, i);
        return 100 * s / used.length;
    }

    /** The tasks relativeGain averages over: those whose final reference accuracy is above 0, ascending. */
    public static int[] relativeGainTasks(AccuracyMatrix a, AccuracyMatrix reference) {
        int t = steps(a);
        if (!a.tasks().equals(reference.tasks()) || reference.steps() != t) {
            throw new IllegalArgumentException("relative gain needs the reference over the same tasks and steps: " + t + " steps of "
                    + a.tasks() + " against " + reference.steps() + " of " + reference.tasks());
        }
        return java.util.stream.IntStream.range(0, a.tasks().size()).filter(i -> reference.get(t - 1, i) > 0).toArray();
    }

    private static int steps(AccuracyMatrix a) {
        if (a.steps() == 0) throw new IllegalArgumentException("the accuracy matrix has no step yet");
        return a.steps();
    }
}
