/*
 * Continual-learning metrics over an AccuracyMatrix (docs/methods/modalprompt.md §10.5), with T = the steps recorded and A[j][i]
 * 0-based (the spec's formulas are 1-based):
 *   finalAverage (Last, MFN)  (1/T) sum_i A[T-1][i]
 *   mft                       (1/T) sum_i A[i][i]                       accuracy right after learning each task
 *   maa                       (1/T) sum_j (1/(j+1)) sum_{i<=j} A[j][i]   the mean of the per-step averages
 *   bwt                       (1/D) sum_{i<T-1} (A[T-1][i] - A[i][i])    D = T-1 (default) or T (some code bases)
 *   forgetting                (1/(T-1)) sum_{i<T-1} (max_{i<=l<T-1} A[l][i] - A[T-1][i])
 *   forwardTransfer           (1/(T-1)) sum_{i>=1} (A[i-1][i] - b_i)     GEM's FWT; b_i = the base model's accuracy on i
 *   relativeGain              (x - baseline) / baseline                  e.g. of final averages; NaN for a 0 baseline
 * Backward transfer, forgetting and forward transfer need T >= 2 and are NaN for a single step (nothing to compare).
 * Forward transfer needs the entries A[i-1][i] (evaluating the next task before training it).
 */
package dev.perennial.eval;

/**
 * Continual-learning metrics of an {@code AccuracyMatrix} with T recorded steps, as fractions: final average accuracy,
 * MFT, MAA, backward transfer (over T - 1 or T), forgetting, forward transfer against the base model's accuracy per
 * task, and relative gain. BWT, forgetting and forward transfer are NaN for a single step.
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

    /** @param baseline b_i, the untrained model's accuracy on each task (length = the matrix's task count) */
    public static double forwardTransfer(AccuracyMatrix a, double[] baseline) {
        int t = steps(a);
        if (baseline.length != a.tasks().size()) throw new IllegalArgumentException(baseline.length + " baselines for " + a.tasks().size() + " tasks");
        if (t < 2) return Double.NaN;
        double s = 0;
        for (int i = 1; i < t; i++) {
            double before = a.get(i - 1, i);
            if (Double.isNaN(before)) throw new IllegalArgumentException("forward transfer needs task " + a.tasks().get(i) + " evaluated before its step");
            s += before - baseline[i];
        }
        return s / (t - 1);
    }

    public static double relativeGain(double value, double baseline) {
        return baseline == 0 ? Double.NaN : (value - baseline) / baseline;
    }

    private static int steps(AccuracyMatrix a) {
        if (a.steps() == 0) throw new IllegalArgumentException("the accuracy matrix has no step yet");
        return a.steps();
    }
}
