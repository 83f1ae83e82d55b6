/*
 * The CPU's backward kernels (CpuFusedBackward, used by GradBackend through autograd.FusedBackward.OP on the CPU backend) against
 * the definition: GradBackend's composition of the same rule over ReferenceBackend.DOUBLE (which has no fused
 * kernels), differentiating L = Σ y·dy. Tolerance |a − r| ≤ 1e-5 + 1e-4·|r|: float inputs and outputs, sums in
 * double (as GradCheckTest's rules). Shapes with one row, with many rows across the 64-row blocks of the
 * parameter sums, rows wider than a cache line, a transposed (non-contiguous) input, and cross-entropy rows at the
 * ignore index (zero gradient).
 */
package dev.perennial.tensor;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static dev.perennial.tensor.AttentionReference.assertClose;
import static dev.perennial.tensor.AttentionReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class CpuFusedBackwardTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;
    private static final CpuBackend CPU = new CpuBackend();

    /** d/d(inputs) of Σ f(inputs)·dy through the composition in double. */
    private static Gradients composed(java.util.function.Function<GradBackend, Tensor> f, Tensor dy, Tape tape) {
        GradBackend gb = new GradBackend(ReferenceBackend.DOUBLE, tape);
        Tensor y = f.apply(gb);
        int n = (int) y.numel();
        return tape.backward(gb.sum(gb.contiguous(gb.mul(y, dy.to(DType.F64))).reshape(n), 0, false));
    }

    @ParameterizedTest(name = "rows {0} x {1}, layerNorm={2}, transposed={3}")
    @CsvSource({"1, 8, false, false", "130, 96, false, false", "3, 768, true, false", "130, 96, true, false",
                "70, 33, false, true", "70, 33, true, true"})
    void normsMatchTheComposition(int rows, int d, boolean layerNorm, boolean transposed) {
        Random rng = new Random(rows * 31L + d);
        Tensor x = transposed ? gaussian(rng, d, rows).transpose(0, 1) : gaussian(rng, rows, d);
        Tensor w = gaussian(rng, d), b = gaussian(rng, d), dy = gaussian(rng, rows, d);
        float eps = 1e-5f;
        NormGradients fast = layerNorm ? CPU.layerNormBackward(dy, x, w, b, eps) : CPU.rmsNormBackward(dy, x, w, eps);
        Tape tape = new Tape();
        Tensor xd = tape.watch(x.to(DType.F64)), wd = tape.watch(w.to(DType.F64)), bd = tape.watch(b.to(DType.F64));
        Gradients ref = composed(gb -> layerNorm ? gb.layerNorm(xd, wd, bd, eps) : gb.rmsNorm(xd, wd, eps), dy, tape);
        assertClose("dx", ref.of(xd).toDoubleArray(), fast.dx().toFloatArray(), ATOL, RTOL);
        assertClose("dweight", ref.of(wd).toDoubleArray(), fast.dweight().toFloatArray(), ATOL, RTOL);
        if (layerNorm) assertClose("dbias", ref.of(bd).toDoubleArray(), fast.dbias().toFloatArray(), ATOL, RTOL);
        else assertNull(fast.dbias());
    }

    @Test
    void ropeBackwardIsTheInverseRotation() {
        Random rng = new Random(3);
        Tensor x = gaussian(rng, 2, 4, 9, 16), dy = gaussian(rng, 2, 4, 9, 16);
        long[] p = new long[2 * 9];
        for (int i = 0; i < p.length; i++) p[i] = (i * 7) % 23;
        Tensor pos = Tensor.ofLongs(p, 2, 9);
        Tape tape = new Tape();
        Tensor xd = tape.watch(x.to(DType.F64));
        Gradients ref = composed(gb -> gb.rope(xd, pos, 10000f), dy, tape);
        assertClose("dx", ref.of(xd).toDoubleArray(), CPU.ropeBackward(dy, pos, 10000f).toFloatArray(), ATOL, RTOL);
    }

    @ParameterizedTest(name = "rows {0}, vocab {1}")
    @CsvSource({"1, 5", "9, 300", "70, 2049"})
    void crossEntropyBackwardMatchesTheComposition(int rows, int vocab) {
        Random rng = new Random(rows + vocab);
        Tensor logits = gaussian(rng, rows, vocab), dl = gaussian(rng, rows);
        long[] t = new long[rows];
        for (int i = 0; i < rows; i++) t[i] = i % 4 == 3 ? -100 : rng.nextInt(vocab);
        Tensor targets = Tensor.ofLongs(t, rows);
        Tensor fast = CPU.crossEntropyBackward(logits, targets, -100, dl);
        Tape tape = new Tape();
        Tensor ld = tape.watch(logits.to(DType.F64));
        Gradients ref = composed(gb -> gb.crossEntropy(ld, targets, -100), dl, tape);
        assertClose("dlogits", ref.of(ld).toDoubleArray(), fast.toFloatArray(), ATOL, RTOL);
        for (int i = 3; i < rows; i += 4) {
            for (float v : fast.select(0, i).toFloatArray()) assertEquals(0f, v, "ignored row " + i);
        }
    }
}
