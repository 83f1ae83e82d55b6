/*
 * The standard scorers and the registry (docs/methods/adapt-inf.md §4, §5; §10.1 invariants 6, 7, 8, 10) on evidence built from
 * chosen logits: a model sure of every response token has PPL 1 and EL2N 0; PPL ≥ 1 (log-PPL ≥ 0) and the code's
 * mean-of-exp form is ≥ it; EL2N ∈ [0, √2] and equals the direct norm; entropy ∈ [0, ln V] and is ln V for uniform
 * logits, over all or response positions; IG = exp(b − a), 1 exactly for identical passes and for text-only
 * samples, 1/IG with the passes swapped; custom scorers register by name.
 */
package dev.perennial.select;

import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class ScorersTest {
    static final int IGNORE = -100, V = 50;
    static final Scorer PPL = new PerplexityScorer(PerplexityScorer.Aggregation.LOG_PPL);
    static final Scorer PPL_CODE = new PerplexityScorer(PerplexityScorer.Aggregation.CODE_COMPAT);
    static final Scorer EL2N = new El2nScorer();
    static final Scorer ENTROPY_ALL = new EntropyScorer(EntropyScorer.Positions.ALL);
    static final Scorer ENTROPY_RESP = new EntropyScorer(EntropyScorer.Positions.RESPONSE);

    /** Evidence for logits [T, V] with targets [T] (IGNORE at non-response rows). */
    static SampleEvidence evidence(float[] logits, long[] targets, boolean hasImage, Map<Scorer.Requirement, float[]> noImage) {
        Tensor x = Tensor.of(logits, targets.length, V);
        TokenScores t = TokenScores.compute(x, Tensor.ofLongs(targets, targets.length), IGNORE);
        return SampleEvidence.of(t, targets, IGNORE, Double.NaN, hasImage, noImage);
    }

    static float[] randomLogits(Random r, int rows, double scale) {
        float[] x = new float[rows * V];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    static long[] targets(Random r, int rows, int firstResponse) {
        long[] t = new long[rows];
        for (int j = 0; j < rows; j++) t[j] = j >= firstResponse && j < rows - 1 ? r.nextInt(V) : IGNORE;
        return t;
    }

    // Spec §10.1 invariant 6: probability 1 on every response token -> PPL = 1 (log-PPL 0, both forms) and EL2N = 0.
    @Test
    void aCertainModelHasPerplexityOneAndNoError() {
        long[] t = {IGNORE, 3, 7, 11, IGNORE};
        float[] x = new float[5 * V];
        for (int j = 0; j < 5; j++) if (t[j] != IGNORE) x[j * V + (int) t[j]] = 200f;
        SampleEvidence e = evidence(x, t, false, Map.of());
        assertEquals(0f, PPL.score(e));
        assertEquals(0f, PPL_CODE.score(e));
        assertEquals(0f, EL2N.score(e));
        assertEquals(3, e.responseTokens());
    }

    // Spec §10.1 invariants 6, 7, 8 on random logits of several scales: log-PPL ≥ 0 (PPL ≥ 1), the code's form
    // ≥ the paper's (Jensen), EL2N ∈ [0, √2] and = the mean of the textbook norm ‖p − e_y‖₂ (1e-6), entropies in
    // [0, ln V] and equal to the means over the right rows.
    @Test
    void scoresStayInTheirRangesAndFollowTheirDefinitions() {
        Random r = new Random(1);
        for (double scale : new double[]{0.1, 1, 5, 30}) {
            int rows = 9;
            float[] x = randomLogits(r, rows, scale);
            long[] t = targets(r, rows, 3);
            SampleEvidence e = evidence(x, t, false, Map.of());
            float ppl = PPL.score(e), code = PPL_CODE.score(e), el2n = EL2N.score(e);
            assertTrue(ppl >= 0 && Math.exp(ppl) >= 1, "log-PPL " + ppl);
            assertTrue(code >= ppl - 1e-6, "mean of exp >= exp of mean: " + code + " vs " + ppl);
            assertTrue(el2n >= 0 && el2n <= Math.sqrt(2), "EL2N " + el2n);

            double sumNll = 0, sumExp = 0, sumNorm = 0, entAll = 0, entResp = 0;
            int n = 0;
            for (int j = 0; j < rows; j++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int v = 0; v < V; v++) max = Math.max(max, x[j * V + v]);
                for (int v = 0; v < V; v++) z += Math.exp(x[j * V + v] - max);
                double ent = 0, sq = 0;
                for (int v = 0; v < V; v++) {
                    double p = Math.exp(x[j * V + v] - max) / z;
                    ent -= p > 0 ? p * Math.log(p) : 0;
                    double d = p - (v == t[j] ? 1 : 0);
                    sq += d * d;
                }
                entAll += ent;
                if (t[j] == IGNORE) continue;
                n++;
                double nll = -(x[j * V + (int) t[j]] - max - Math.log(z));
                sumNll += nll;
                sumExp += Math.exp(nll);
                sumNorm += Math.sqrt(sq);
                entResp += ent;
            }
            assertEquals(sumNll / n, ppl, 1e-5 * (1 + sumNll / n), "scale " + scale);
            assertEquals(Math.log(sumExp / n), code, 1e-5 * (1 + Math.abs(Math.log(sumExp / n))));
            assertEquals(sumNorm / n, el2n, 1e-6, "EL2N against the direct norm");
            assertEquals(entAll / rows, ENTROPY_ALL.score(e), 1e-5);
            assertEquals(entResp / n, ENTROPY_RESP.score(e), 1e-5);
            for (Scorer s : List.of(ENTROPY_ALL, ENTROPY_RESP)) assertTrue(s.score(e) >= 0 && s.score(e) <= Math.log(V) + 1e-6);
        }
    }

    // Spec §10.1 invariant 8: uniform logits give exactly ln V at every position.
    @Test
    void uniformLogitsHaveEntropyLnV() {
        long[] t = {IGNORE, 4, IGNORE};
        SampleEvidence e = evidence(new float[3 * V], t, false, Map.of());
        assertEquals(Math.log(V), ENTROPY_ALL.score(e), 1e-6);
        assertEquals(Math.log(V), ENTROPY_RESP.score(e), 1e-6);
        assertEquals(Math.log(V), PPL.score(e), 1e-6, "uniform: NLL = ln V");
    }

    // Spec §10.1 invariant 10 (scorer level): IG = exp(b − a) > 0; identical passes give exactly 1; swapping the
    // passes gives 1/IG; a text-only sample gives exactly 1.0 (EXP_MEAN) and the code's exp(a)/mean(exp ℓ) ≤ 1 (CODE_MIXED).
    @Test
    void imageGroundingFollowsTheTwoPasses() {
        Random r = new Random(2);
        float[] x = randomLogits(r, 8, 2);
        long[] t = targets(r, 8, 2);
        SampleEvidence probe = evidence(x, t, true, Map.of());
        float[] with = probe.responseNll(), worse = with.clone(), same = with.clone();
        for (int i = 0; i < worse.length; i++) worse[i] += 0.3f * (i + 1);
        ImageGroundingScorer remove = ImageGroundingScorer.paper();
        ImageGroundingScorer zero = new ImageGroundingScorer(ImageGroundingScorer.NoImageMode.ZERO_PIXELS, ImageGroundingScorer.PplAggregation.EXP_MEAN);
        ImageGroundingScorer mixed = new ImageGroundingScorer(ImageGroundingScorer.NoImageMode.REMOVE, ImageGroundingScorer.PplAggregation.CODE_MIXED);
        assertEquals(Set.of(Scorer.Requirement.NO_IMAGE_REMOVED), remove.requirements());
        assertEquals(Set.of(Scorer.Requirement.NO_IMAGE_ZERO_PIXELS), zero.requirements());

        SampleEvidence grounded = evidence(x, t, true, Map.of(Scorer.Requirement.NO_IMAGE_REMOVED, worse));
        double a = 0, b = 0;
        for (int i = 0; i < with.length; i++) {
            a += with[i];
            b += worse[i];
        }
        float ig = remove.score(grounded);
        assertEquals(Math.exp((b - a) / with.length), ig, 1e-6 * ig);
        assertTrue(ig > 1, "the image lowers the NLL: IG > 1");

        SampleEvidence irrelevant = evidence(x, t, true, Map.of(Scorer.Requirement.NO_IMAGE_REMOVED, same));
        assertEquals(1.0f, remove.score(irrelevant), "identical passes: exactly 1");

        // swapped passes: the "with image" NLLs are worse, the "without" ones are the original
        SampleEvidence base = evidence(x, t, true, Map.of());
        float[] shift = new float[worse.length];
        for (int i = 0; i < shift.length; i++) shift[i] = worse[i] - with[i];
        SampleEvidence swapped = SampleEvidence.of(shiftedNll(base, shift), t, IGNORE, Double.NaN, true,
                Map.of(Scorer.Requirement.NO_IMAGE_REMOVED, with));
        assertEquals(1 / ig, remove.score(swapped), 1e-5 / ig);

        SampleEvidence textOnly = evidence(x, t, false, Map.of());
        assertEquals(1.0f, remove.score(textOnly), "text-only: exactly 1.0");
        assertEquals(1.0f, zero.score(textOnly));
        double meanExp = 0;
        for (float l : with) meanExp += Math.exp(l);
        float artefact = mixed.score(textOnly);
        assertEquals(Math.exp(a / with.length) / (meanExp / with.length), artefact, 1e-6);
        assertTrue(artefact <= 1f, "the code's text-only artefact is <= 1");
        assertEquals(Math.exp(b / with.length) / (meanExp / with.length), mixed.score(grounded), 1e-5);

        assertThrows(IllegalStateException.class, () -> zero.score(grounded), "the zero-pixel pass did not run");
        SampleEvidence short1 = evidence(x, t, true, Map.of(Scorer.Requirement.NO_IMAGE_REMOVED, new float[1]));
        assertThrows(IllegalStateException.class, () -> remove.score(short1), "passes must score the same tokens");
    }

    /** The evidence's token scores with shift[i] added to the NLL of the i-th response row. */
    private static TokenScores shiftedNll(SampleEvidence e, float[] shift) {
        float[] nll = e.tokens().nll().clone();
        for (int j = 0, i = 0; j < nll.length; j++) if (e.targets()[j] != IGNORE) nll[j] += shift[i++];
        return new TokenScores(nll, e.tokens().entropy(), e.tokens().el2n());
    }

    @Test
    void registryHoldsTheStandardScorersAndCustomOnes() {
        ScorerRegistry standard = ScorerRegistry.standard();
        assertEquals(List.of("ppl", "el2n", "entropy", "grand", "ig"), List.copyOf(standard.names()));
        assertEquals(new PerplexityScorer(PerplexityScorer.Aggregation.LOG_PPL), standard.get("ppl"));
        assertEquals(ImageGroundingScorer.paper(), standard.get("ig"));
        assertEquals(Set.of(Scorer.Requirement.GRADIENT), standard.get("grand").requirements());
        ScorerRegistry code = ScorerRegistry.codeCompat();
        assertEquals(new PerplexityScorer(PerplexityScorer.Aggregation.CODE_COMPAT), code.get("ppl"));
        assertEquals(Set.of(Scorer.Requirement.NO_IMAGE_ZERO_PIXELS), code.get("ig").requirements());

        Scorer length = e -> e.responseTokens();
        standard.register("response-length", length);
        assertSame(length, standard.get("response-length"));
        assertEquals(List.of("response-length", "ppl"), List.copyOf(standard.select(List.of("response-length", "ppl")).keySet()));
        assertThrows(IllegalArgumentException.class, () -> standard.register("ppl", length), "names are unique");
        assertThrows(IllegalArgumentException.class, () -> standard.register("../x", length), "names become file names");
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> standard.get("loss"));
        assertTrue(unknown.getMessage().contains("ppl, el2n"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> standard.select(List.of("ppl", "ppl")));
    }
}
