/*
 * SampleVectors (docs/methods/adapt-inf.md §2.3–2.6, §10.1 invariants 1, 2, 3, 9): projecting a gradient given as adapter
 * tensors chunk by chunk equals the reference projection of the flattened gradient in the spec's order; the
 * result is deterministic, linear before normalisation and of unit norm; cosines survive the projection within a
 * bound derived below; GraNd is the un-projected norm and scales with |c|; the hidden mean is the normalised
 * mean over the real positions.
 */
package dev.perennial.select;

import dev.perennial.tensor.Tensor;
import dev.perennial.train.PerSampleGradients.AdapterGradients;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SampleVectorsTest {
    static final SampleVectors VECTORS = new SampleVectors(new RandomProjection());

    /** Per-sample gradients of three adapters (r = 2) for b samples: A [b, 2, in], B [b, out, 2]. */
    private static Map<String, AdapterGradients> gradients(int b, long seed) {
        Random r = new Random(seed);
        Map<String, AdapterGradients> g = new LinkedHashMap<>();
        int[][] shapes = {{5, 7}, {3, 9}, {11, 4}};                                 // {in, out}
        for (int i = 0; i < shapes.length; i++) {
            g.put("layers.1.p" + i, new AdapterGradients(gaussian(r, b, 2, shapes[i][0]), gaussian(r, b, shapes[i][1], 2)));
        }
        return g;
    }

    private static Tensor gaussian(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.storage().setFloat(i, (float) r.nextGaussian());
        return t;
    }

    /** Sample s's gradient flattened in the spec's order: per adapter A (row-major) then B. */
    private static float[] flat(Map<String, AdapterGradients> g, int s) {
        int n = 0;
        for (AdapterGradients a : g.values()) n += (int) (a.a().numel() + a.b().numel()) / a.a().size(0);
        float[] out = new float[n];
        int at = 0;
        for (AdapterGradients a : g.values()) {
            for (Tensor part : new Tensor[]{a.a(), a.b()}) {
                float[] v = part.select(0, s).contiguous().toFloatArray();
                System.arraycopy(v, 0, out, at, v.length);
                at += v.length;
            }
        }
        return out;
    }

    private static Map<String, AdapterGradients> combine(Map<String, AdapterGradients> g1, float a, Map<String, AdapterGradients> g2, float b) {
        Map<String, AdapterGradients> out = new LinkedHashMap<>();
        for (String k : g1.keySet()) {
            out.put(k, new AdapterGradients(axpby(g1.get(k).a(), a, g2.get(k).a(), b), axpby(g1.get(k).b(), a, g2.get(k).b(), b)));
        }
        return out;
    }

    private static Tensor axpby(Tensor x, float a, Tensor y, float b) {
        float[] xv = x.toFloatArray(), yv = y.toFloatArray(), o = new float[xv.length];
        for (int i = 0; i < o.length; i++) o[i] = a * xv[i] + b * yv[i];
        return Tensor.of(o, x.shape());
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    // Spec §10.1 invariants 1 and 2: chunked = reference on the flat gradient (so the order is the spec's), the same
    // result twice, unit norm |‖v‖ − 1| < 1e-3 at the paper's k = 8192.
    @Test
    void chunkedProjectionEqualsTheReferenceOnTheFlatGradient() {
        Map<String, AdapterGradients> g = gradients(3, 1);
        int k = 8192;
        SampleVectors.Projected p = VECTORS.project(g, k, 0);
        SampleVectors.Projected again = VECTORS.project(g, k, 0);
        for (int s = 0; s < 3; s++) {
            float[] x = flat(g, s);
            assertEquals(2 * (5 + 7) + 2 * (3 + 9) + 2 * (11 + 4), x.length);
            float[] ref = RandomProjection.normalizeRows(RandomProjection.reference(Tensor.of(x, 1, x.length), 0, k, 0)).toFloatArray();
            for (int c = 0; c < k; c++) assertEquals(ref[c], p.vectors()[s][c], 1e-6, "sample " + s + ", column " + c);
            assertArrayEquals(p.vectors()[s], again.vectors()[s], "deterministic");
            assertEquals(1.0, Math.sqrt(dot(p.vectors()[s], p.vectors()[s])), 1e-3, "unit norm");
        }
        assertFalse(java.util.Arrays.equals(p.vectors()[0], VECTORS.project(g, k, 1).vectors()[0]), "the seed matters");
    }

    // Spec §10.1 invariant 1 through the pipeline: v(a·g1 + b·g2) = normalize(a·P(g1) + b·P(g2)), P un-normalised.
    @Test
    void vectorsAreTheNormalisedLinearProjection() {
        Map<String, AdapterGradients> g1 = gradients(2, 2), g2 = gradients(2, 3);
        float a = 2.5f, b = -0.75f;
        int k = 512;
        SampleVectors.Projected mixed = VECTORS.project(combine(g1, a, g2, b), k, 7);
        for (int s = 0; s < 2; s++) {
            float[] p1 = RandomProjection.reference(Tensor.of(flat(g1, s), 1, flat(g1, s).length), 0, k, 7).toFloatArray();
            float[] p2 = RandomProjection.reference(Tensor.of(flat(g2, s), 1, flat(g2, s).length), 0, k, 7).toFloatArray();
            float[] lin = new float[k];
            for (int c = 0; c < k; c++) lin[c] = a * p1[c] + b * p2[c];
            float[] expected = RandomProjection.normalizeRows(Tensor.of(lin, 1, k)).toFloatArray();
            for (int c = 0; c < k; c++) assertEquals(expected[c], mixed.vectors()[s][c], 1e-4 * Math.abs(expected[c]) + 1e-5, "column " + c);
        }
    }

    // Spec §10.1 invariant 9: GraNd = ‖g‖₂ of the un-projected gradient (double), GraNd(c·g) = |c|·GraNd(g), and
    // the direction flips with the sign of c.
    @Test
    void gradNormIsTheUnprojectedNormAndScalesWithAbsC() {
        Map<String, AdapterGradients> g = gradients(2, 4);
        SampleVectors.Projected p = VECTORS.project(g, 64, 0);
        for (int s = 0; s < 2; s++) assertEquals(Math.sqrt(dot(flat(g, s), flat(g, s))), p.gradientNorms()[s], 1e-9 * p.gradientNorms()[s]);
        Map<String, AdapterGradients> zero = combine(g, 0, g, 0);
        for (float c : new float[]{-2.5f, 0.5f, 3f}) {
            SampleVectors.Projected q = VECTORS.project(combine(g, c, zero, 0), 64, 0);
            for (int s = 0; s < 2; s++) {
                assertEquals(Math.abs(c) * p.gradientNorms()[s], q.gradientNorms()[s], 1e-6 * p.gradientNorms()[s], "c = " + c);
                for (int j = 0; j < 64; j++) assertEquals(Math.signum(c) * p.vectors()[s][j], q.vectors()[s][j], 1e-5);
            }
        }
        SampleVectors.Projected z = VECTORS.project(zero, 64, 0);
        assertEquals(0.0, z.gradientNorms()[0]);
        for (float v : z.vectors()[0]) assertEquals(0f, v, "a zero gradient gives a zero vector, not NaN");
        assertEquals(0, VECTORS.project(g, 0, 0).vectors()[0].length, "k = 0: norms only");
    }

    // Spec §10.1 invariant 3 (JL sanity) at d = 4,096, k = 8,192 for 100 pairs with cosines spread over [-0.95, 0.95].
    // Bound: for unit x, y with cosine ρ, the columns a_c = r_c·x, b_c = r_c·y of the Rademacher projection have
    // E a² = E b² = 1, E ab = ρ; to first order the projected cosine errs by (1/k)·Σ_c [a_c b_c − ρ(a_c² + b_c²)/2],
    // whose variance is (1 − ρ²)²/k for Gaussian (a, b) plus Rademacher fourth-cumulant terms of order
    // Σ_i x_i² y_i² ≈ 1/d (here 2.4e-4, negligible). So σ ≤ 1/√k = 0.011; the second-order term is O(1/k). A pair
    // exceeds 5σ with probability < 6e-7, all 100 stay inside with probability > 0.9999: bound 5/√k + 1/k = 0.0554.
    @Test
    void cosinesArePreservedWithinTheDerivedBound() {
        int pairs = 100, d = 4096, k = 8192;
        Random r = new Random(5);
        float[] x = new float[2 * pairs * d];                                          // rows 2i, 2i+1 form pair i
        double[] before = new double[pairs];
        for (int i = 0; i < pairs; i++) {
            double rho = -0.95 + 1.9 * i / (pairs - 1);
            double[] u = new double[d], w = new double[d];
            for (int j = 0; j < d; j++) {
                u[j] = r.nextGaussian();
                w[j] = rho * u[j] + Math.sqrt(1 - rho * rho) * r.nextGaussian();
                x[(2 * i) * d + j] = (float) u[j];
                x[(2 * i + 1) * d + j] = (float) w[j];
            }
            double uu = 0, ww = 0, uw = 0;
            for (int j = 0; j < d; j++) {
                uu += u[j] * u[j];
                ww += w[j] * w[j];
                uw += u[j] * w[j];
            }
            before[i] = uw / Math.sqrt(uu * ww);
        }
        Map<String, AdapterGradients> g = Map.of("layers.0.x", new AdapterGradients(Tensor.of(x, 2 * pairs, 1, d), Tensor.zeros(2 * pairs, 1, 1)));
        SampleVectors.Projected p = VECTORS.project(g, k, 0);
        double bound = 5 / Math.sqrt(k) + 1.0 / k, worst = 0;
        for (int i = 0; i < pairs; i++) {
            double after = dot(p.vectors()[2 * i], p.vectors()[2 * i + 1]);
            worst = Math.max(worst, Math.abs(after - before[i]));
        }
        assertTrue(worst < bound, "worst cosine error " + worst + " vs bound " + bound);
    }

    @Test
    void hiddenMeanIsTheNormalisedMeanOverRealPositions() {
        float[] h = {1, 2,   3, 4,   100, -100};                                     // [T = 3, D = 2], row 2 is padding
        float[] v = SampleVectors.hiddenMean(Tensor.of(h, 3, 2), 2);
        double n = Math.sqrt(2 * 2 + 3 * 3);
        assertArrayEquals(new float[]{(float) (2 / n), (float) (3 / n)}, v, 1e-7f);
        assertArrayEquals(new float[]{0, 0}, SampleVectors.hiddenMean(Tensor.of(new float[]{1, -1, -1, 1}, 2, 2), 2));
        assertThrows(IllegalArgumentException.class, () -> SampleVectors.hiddenMean(Tensor.of(h, 3, 2), 4));
    }

    @Test
    void configRejectsWhatCannotWork() {
        assertThrows(IllegalArgumentException.class, () -> new SampleVectors.Config(SampleVectors.Source.LORA_GRAD, java.util.List.of(), 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SampleVectors.Config(SampleVectors.Source.HIDDEN_MEAN, java.util.List.of(1, 2), 8, 0));
        SampleVectors.Config paper = SampleVectors.Config.paper();
        assertEquals(8192, paper.dim());
        assertEquals(0, paper.seed());
        assertEquals(SampleVectors.Source.LORA_GRAD, paper.source());
    }
}
