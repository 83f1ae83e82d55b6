/*
 * ADAPT-∞ per-token scores computed from logits without materialising the probabilities
 * (docs/methods/adapt-inf.md §4), and their per-sample means: the CPU side of the score aggregation, with the same
 * outputs as the CUDA kernels of cuda/src/main/cuda/token_scores.h. For logits row x (length V), target t and
 * p = softmax(x), natural logarithms:
 *   nll     = lse - x_t                      (0 where t == ignoreIndex)
 *   entropy = lse - sum_v p_v x_v = -sum p ln p   (every row, ignored or not)
 *   el2n    = |p - onehot(t)|_2 = sqrt(1 - 2 p_t + sum p^2)   (0 where t == ignoreIndex)
 * A target outside [0, V) that is not ignoreIndex gives NaN nll and EL2N for its row (the kernels' contract: one
 * bad label marks its sample instead of aborting a scoring pass). -inf logits have probability 0; a row with no
 * finite logit, or with a NaN, gives NaN.
 *
 * Two paths: reference() is the definition (double, two passes per row, the formulas above as written);
 * compute() is the fast path: rows in parallel (Parallel.forRows), float math, ONE pass per row with the kernels'
 * online scheme (running max m, s0 = sum e^{x-m}, s1 = sum e^{x-m}(x-m), s2 = sum over v != t of e^{2(x-m)};
 * entropy = ln s0 - s1/s0 and el2n^2 = (1 - p_t)^2 + s2/s0^2, free of cancellation; see pn_online_softmax.cuh).
 * Sample means (perSample) accumulate in double; they are O(tokens) and need no second path.
 */
package dev.perennial.select;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.MathFunctions;
import dev.perennial.tensor.Parallel;
import dev.perennial.tensor.Tensor;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Per-token scores of a scoring pass, each {@code [N]}: negative log-likelihood, entropy and EL2N.
 * <p>A value carrier: its arrays, lists and tensors are not copied; do not modify them while another thread reads.
 */
public record TokenScores(float[] nll, float[] entropy, float[] el2n) {

    /**
     * Per-sample means: sample s owns token rows [offsets[s], offsets[s+1]). Over its n_s supervised rows
     * (target != ignoreIndex): meanNll, meanExpNll (mean of e^nll: the official code's "ppl", spec §4
     * CODE_COMPAT), meanEl2n, entropyResp; over all its rows: entropyAll; count = n_s. n_s == 0 gives NaN for the
     * supervised means (an empty sample also has entropyAll NaN).
     */
    public record SampleScores(float[] meanNll, float[] meanExpNll, float[] meanEl2n, float[] entropyAll,
                               float[] entropyResp, int[] count) {}

    /** The fast path: logits [N, V] (any float dtype or view), targets [N] (I64/I32). */
    public static TokenScores compute(Tensor logits, Tensor targets, int ignoreIndex) {
        long[] t = checkedTargets(logits, targets);
        int n = logits.size(0), v = logits.size(1);
        Tensor x = logits.dtype() == DType.F32 ? logits.contiguous() : logits.to(DType.F32);
        FloatBuffer f = x.storage().floats();
        int base = x.offset();
        float[] nll = new float[n], entropy = new float[n], el2n = new float[n];
        Parallel.forRows(n, 4L * v, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int i0 = base + r * v, target = t[r] >= 0 && t[r] < v ? (int) t[r] : -1;
                float m = Float.NEGATIVE_INFINITY, s0 = 0f, s1 = 0f, s2 = 0f;
                for (int j = 0; j < v; j++) {
                    float xj = f.get(i0 + j);
                    if (xj > m) {                                        // new running max: rescale the sums
                        float d = m - xj, a = MathFunctions.expf(d);
                        s1 = a * (s1 + (m == Float.NEGATIVE_INFINITY ? 0f : s0 * d));
                        s0 = a * s0 + 1f;
                        s2 = a * a * s2 + (j == target ? 0f : 1f);
                        m = xj;
                    } else if (xj != Float.NEGATIVE_INFINITY) {
                        float d = xj - m, e = MathFunctions.expf(d);
                        s0 += e;
                        s1 += e * d;
                        if (j != target) s2 += e * e;
                    }
                }
                float logS0 = (float) Math.log(s0);
                entropy[r] = logS0 - s1 / s0;
                if (t[r] == ignoreIndex) continue;
                if (target < 0) {
                    nll[r] = el2n[r] = Float.NaN;
                    continue;
                }
                nll[r] = (m - f.get(i0 + target)) + logS0;
                float oneMinusPt = (float) -Math.expm1(-nll[r]);
                el2n[r] = (float) Math.sqrt(oneMinusPt * oneMinusPt + s2 / (s0 * s0));
            }
        });
        return new TokenScores(nll, entropy, el2n);
    }

    /** The definition in double (two passes per row), rounded to float once: the reference for every path. */
    public static TokenScores reference(Tensor logits, Tensor targets, int ignoreIndex) {
        long[] t = checkedTargets(logits, targets);
        int n = logits.size(0), v = logits.size(1);
        double[] x = logits.toDoubleArray();
        float[] nll = new float[n], entropy = new float[n], el2n = new float[n];
        for (int r = 0; r < n; r++) {
            int i0 = r * v;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < v; j++) max = Math.max(max, x[i0 + j]);      // NaN propagates
            double sum = 0;
            for (int j = 0; j < v; j++) sum += Math.exp(x[i0 + j] - max);
            double lse = max + Math.log(sum), expectedX = 0, sumP2 = 0;
            for (int j = 0; j < v; j++) {
                double p = Math.exp(x[i0 + j] - lse);
                if (p != 0) expectedX += p * x[i0 + j];                  // -inf logits: p = 0, no 0 * -inf
                sumP2 += p * p;
            }
            entropy[r] = (float) (lse - expectedX);
            if (t[r] == ignoreIndex) continue;
            if (t[r] < 0 || t[r] >= v) {
                nll[r] = el2n[r] = Float.NaN;
                continue;
            }
            double pt = Math.exp(x[i0 + (int) t[r]] - lse);
            nll[r] = (float) (lse - x[i0 + (int) t[r]]);
            el2n[r] = (float) Math.sqrt(Math.max(0, 1 - 2 * pt + sumP2));
        }
        return new TokenScores(nll, entropy, el2n);
    }

    /** Means per sample (see SampleScores); targets [N] as given to compute/reference, offsets [S + 1]. */
    public SampleScores perSample(Tensor targets, int[] offsets, int ignoreIndex) {
        long[] t = targets.toLongArray();
        if (t.length != entropy.length || offsets.length < 1) {
            throw new IllegalArgumentException("perSample expects targets [" + entropy.length + "] and offsets "
                    + "[S + 1], got " + t.length + " targets and " + offsets.length + " offsets");
        }
        int samples = offsets.length - 1;
        float[] meanNll = new float[samples], meanExpNll = new float[samples], meanEl2n = new float[samples];
        float[] entropyAll = new float[samples], entropyResp = new float[samples];
        int[] count = new int[samples];
        for (int s = 0; s < samples; s++) {
            int begin = offsets[s], end = offsets[s + 1];
            if (begin < 0 || end < begin || end > t.length) {
                throw new IllegalArgumentException("offsets must be non-decreasing within [0, " + t.length + "]: "
                        + Arrays.toString(offsets));
            }
            double sumNll = 0, sumExp = 0, sumEl2n = 0, sumAll = 0, sumResp = 0;
            int n = 0;
            for (int r = begin; r < end; r++) {
                sumAll += entropy[r];
                if (t[r] == ignoreIndex) continue;
                n++;
                sumNll += nll[r];
                sumExp += Math.exp(nll[r]);
                sumEl2n += el2n[r];
                sumResp += entropy[r];
            }
            count[s] = n;
            meanNll[s] = mean(sumNll, n);
            meanExpNll[s] = mean(sumExp, n);
            meanEl2n[s] = mean(sumEl2n, n);
            entropyResp[s] = mean(sumResp, n);
            entropyAll[s] = mean(sumAll, end - begin);
        }
        return new SampleScores(meanNll, meanExpNll, meanEl2n, entropyAll, entropyResp, count);
    }

    private static float mean(double sum, int n) { return n > 0 ? (float) (sum / n) : Float.NaN; }

    private static long[] checkedTargets(Tensor logits, Tensor targets) {
        if (logits.rank() != 2 || targets.rank() != 1 || targets.size(0) != logits.size(0) || logits.size(1) < 1) {
            throw new IllegalArgumentException("token scores expect logits [N, V >= 1] and targets [N], got "
                    + Arrays.toString(logits.shape()) + " and " + Arrays.toString(targets.shape()));
        }
        if (!logits.dtype().isFloating() || !targets.dtype().isIndex()) {
            throw new IllegalArgumentException("token scores expect floating logits and I64/I32 targets, got "
                    + logits.dtype() + " and " + targets.dtype());
        }
        return targets.toLongArray();
    }
}
