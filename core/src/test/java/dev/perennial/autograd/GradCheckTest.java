/*
 * Every backward rule against central finite differences in double, as one table like
 * the op table. For each case the objective is L = Σ f(inputs) ⊙ R with a fixed random R:
 *   analytic: GradBackend over the CPU backend (float32), Tape.backward(L);
 *   numeric:  (L(x + ε) − L(x − ε)) / 2ε per input element, with f evaluated by ReferenceBackend.DOUBLE (float64
 *             throughout), ε = 1e-4, so the truncation error (~ε²) and rounding (~1e-16/ε) are far below float32.
 * Criterion |analytic − numeric| <= 2e-5 + 2e-4·|numeric|: the analytic side is float32 arithmetic.
 * Cases use tiny odd shapes, broadcasting, views (transposed, narrowed, expanded, split) and repeated
 * embedding ids, so gradient routing through views and accumulation is checked too.
 */
package dev.perennial.autograd;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

import static org.junit.jupiter.api.Assertions.*;

class GradCheckTest {
    /** An op under test: inputs (value ranges per input) and f(backend, inputs). */
    record GradCase(String name, int[][] shapes, float[][] ranges, BiFunction<Backend, Tensor[], Tensor> f) {
        @Override
        public String toString() { return name; }
    }

    private static GradCase c(String name, BiFunction<Backend, Tensor[], Tensor> f, int[]... shapes) {
        float[][] ranges = new float[shapes.length][];
        for (int i = 0; i < shapes.length; i++) ranges[i] = new float[]{-1.5f, 1.5f};
        return new GradCase(name, shapes, ranges, f);
    }

    private static GradCase positive(String name, BiFunction<Backend, Tensor[], Tensor> f, int[]... shapes) {
        GradCase g = c(name, f, shapes);
        for (float[] r : g.ranges()) { r[0] = 0.5f; r[1] = 2f; }
        return g;
    }

    private static int[] s(int... dims) { return dims; }

    static List<GradCase> cases() {
        Tensor causal = Tensor.zeros(4, 4);
        for (int i = 0; i < 4; i++) for (int j = i + 1; j < 4; j++) causal.setFloat(Float.NEGATIVE_INFINITY, i, j);
        Tensor positions = Tensor.ofLongs(new long[]{0, 3, 7}, 3);
        Tensor ids = Tensor.ofLongs(new long[]{2, 5, 2, 0}, 2, 2);
        Tensor targets = Tensor.ofLongs(new long[]{1, -100, 4, 0}, 4);
        return List.of(
                c("matmul", (be, x) -> be.matmul(x[0], x[1]), s(3, 4), s(4, 5)),
                c("matmul batched broadcast", (be, x) -> be.matmul(x[0], x[1]), s(2, 1, 3, 4), s(3, 4, 2)),
                c("matmul x·Wᵀ (transposed weight view)", (be, x) -> be.matmul(x[0], x[1].transpose(0, 1)), s(2, 3, 4), s(5, 4)),
                c("matmul transposed lhs", (be, x) -> be.matmul(x[0].transpose(0, 1), x[1]), s(4, 3), s(4, 2)),
                c("add broadcast", (be, x) -> be.add(x[0], x[1]), s(3, 4), s(4)),
                c("sub broadcast", (be, x) -> be.sub(x[0], x[1]), s(2, 3), s(1, 3)),
                c("mul broadcast", (be, x) -> be.mul(x[0], x[1]), s(2, 3, 4), s(3, 1)),
                positive("div", (be, x) -> be.div(x[0], x[1]), s(2, 3), s(2, 3)),
                c("scale", (be, x) -> be.scale(x[0], -2.5f), s(5)),
                c("exp", (be, x) -> be.exp(x[0]), s(2, 3)),
                positive("log", (be, x) -> be.log(x[0]), s(2, 3)),
                positive("sqrt", (be, x) -> be.sqrt(x[0]), s(4)),
                c("tanh", (be, x) -> be.tanh(x[0]), s(3, 2)),
                c("erf", (be, x) -> be.erf(x[0]), s(5)),
                c("gelu", (be, x) -> be.gelu(x[0]), s(2, 4)),
                c("geluTanh", (be, x) -> be.geluTanh(x[0]), s(2, 4)),
                c("quickGelu", (be, x) -> be.quickGelu(x[0]), s(2, 4)),
                c("silu", (be, x) -> be.silu(x[0]), s(7)),
                c("swiglu broadcast", (be, x) -> be.swiglu(x[0], x[1]), s(2, 3), s(3)),
                c("softmax scaled, causal mask", (be, x) -> be.softmax(x[0], 0.7f, causal), s(2, 4, 4)),
                c("softmax of a transposed view", (be, x) -> be.softmax(x[0].transpose(0, 1), null), s(3, 5)),
                c("logSoftmax", (be, x) -> be.logSoftmax(x[0], null), s(3, 5)),
                c("layerNorm affine", (be, x) -> be.layerNorm(x[0], x[1], x[2], 1e-5f), s(3, 5), s(5), s(5)),
                c("layerNorm plain", (be, x) -> be.layerNorm(x[0], null, null, 1e-5f), s(2, 6)),
                c("rmsNorm", (be, x) -> be.rmsNorm(x[0], x[1], 1e-6f), s(3, 4), s(4)),
                c("rope of a [B,T,H,hd] view", (be, x) -> be.rope(x[0].transpose(1, 2), positions, 100f), s(1, 3, 2, 4)),
                c("embedding with repeated ids", (be, x) -> be.embedding(x[0], ids), s(6, 3)),
                c("concat dim 1", (be, x) -> be.concat(List.of(x[0], x[1]), 1), s(2, 3), s(2, 1)),
                c("stack", (be, x) -> be.stack(List.of(x[0], be.exp(x[1])), 0), s(2, 3), s(2, 3)),
                c("split views, recombined", (be, x) -> {
                    List<Tensor> p = be.split(x[0], new int[]{1, 2}, 1);
                    return be.concat(List.of(be.scale(p.get(1), 3f), be.exp(p.get(0))), 1);
                }, s(2, 3)),
                c("narrowed, selected and expanded views", (be, x) -> be.mul(x[0].narrow(1, 1, 2),
                        x[1].select(0, 1).unsqueeze(0).expand(3, 2)), s(3, 4), s(2, 2)),
                c("contiguous of a transposed view", (be, x) -> be.mul(be.contiguous(x[0].transpose(0, 1)), x[1]), s(3, 2), s(2, 3)),
                c("sum dim 0", (be, x) -> be.sum(x[0], 0, false), s(3, 4)),
                c("sum keepDim", (be, x) -> be.sum(x[0], 1, true), s(2, 3, 2)),
                c("mean dim -1", (be, x) -> be.mean(x[0], -1, false), s(2, 5)),
                c("max dim 1", (be, x) -> be.max(x[0], 1, false), s(2, 4, 3)),
                c("topk values", (be, x) -> be.topk(x[0], 2).values(), s(3, 5)),
                c("crossEntropy with an ignored row", (be, x) -> be.crossEntropy(x[0], targets, -100), s(4, 5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void analyticGradientMatchesFiniteDifferences(GradCase gc) {
        Random rng = new Random(gc.name().hashCode());
        Tensor[] x = new Tensor[gc.shapes().length];
        for (int i = 0; i < x.length; i++) {
            float[] v = new float[(int) Shapes.numel(gc.shapes()[i])];
            float lo = gc.ranges()[i][0], hi = gc.ranges()[i][1];
            for (int j = 0; j < v.length; j++) v[j] = lo + (hi - lo) * rng.nextFloat();
            x[i] = Tensor.of(v, gc.shapes()[i]);
        }
        Tensor y0 = gc.f().apply(ReferenceBackend.DOUBLE, toF64(x));
        double[] r = new double[(int) y0.numel()];
        for (int j = 0; j < r.length; j++) r[j] = rng.nextDouble() * 2 - 1;

        Tape tape = new Tape();
        GradBackend gb = new GradBackend(new CpuBackend(), tape);
        for (Tensor t : x) tape.watch(t);
        Tensor y = gc.f().apply(gb, x);
        Tensor weights = Tensor.zeros(y.shape());
        for (int j = 0; j < r.length; j++) weights.storage().setFloat(j, (float) r[j]);
        Tensor loss = gb.sum(gb.contiguous(gb.mul(y, weights)).reshape((int) y.numel()), 0, false);
        Gradients grads = tape.backward(loss);

        double eps = 1e-4;
        for (int i = 0; i < x.length; i++) {
            Tensor analytic = grads.of(x[i]);
            assertNotNull(analytic, gc.name() + ": no gradient reached input " + i);
            float[] a = analytic.toFloatArray();
            for (int j = 0; j < a.length; j++) {
                double numeric = (objective(gc, x, i, j, eps, r) - objective(gc, x, i, j, -eps, r)) / (2 * eps);
                double err = Math.abs(a[j] - numeric);
                assertTrue(err <= 2e-5 + 2e-4 * Math.abs(numeric), gc.name() + ": input " + i + " element " + j
                        + " analytic " + a[j] + " numeric " + numeric);
            }
        }
    }

    private static Tensor[] toF64(Tensor[] x) {
        Tensor[] r = new Tensor[x.length];
        for (int i = 0; i < x.length; i++) r[i] = x[i].to(DType.F64);
        return r;
    }

    /** Σ f(x with x[i][j] += delta) ⊙ r, all in double. */
    private static double objective(GradCase gc, Tensor[] x, int i, int j, double delta, double[] r) {
        Tensor[] xs = toF64(x);
        xs[i].storage().setDouble(j, xs[i].storage().getDouble(j) + delta);
        double[] y = gc.f().apply(ReferenceBackend.DOUBLE, xs).toDoubleArray();
        double sum = 0;
        for (int k = 0; k < y.length; k++) sum += y[k] * r[k];
        return sum;
    }

}
