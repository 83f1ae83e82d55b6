/*
 * What Tape.backward frees and when: every recorded op's output and gradient are
 * released once no remaining rule needs them, so after backward only the watched and kept tensors' gradients
 * (and whatever the caller kept) remain in memory; kept tensors stay readable. Also the paths by which gradient
 * contributions are combined (adopted, added out of place by the backend, added into part of a storage), each
 * against a gradient worked out by hand.
 */
package dev.perennial.autograd;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TapeMemoryTest {
    private static final CpuBackend BE = new CpuBackend();

    private static Tensor ramp(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.storage().setFloat(i, (float) Math.sin(0.37 * i + 0.1));
        return t;
    }

    @Test
    void backwardFreesIntermediatesAndKeepsWhatWasAskedFor() {
        Tape tape = new Tape();
        GradBackend gb = new GradBackend(BE, tape);
        Tensor x = tape.watch(ramp(256, 1024));                                // 1 MB
        Tensor h = x;
        Tensor kept = null;
        for (int i = 0; i < 20; i++) {
            h = gb.tanh(h);                                                    // 20 activations of 1 MB
            if (i == 10) kept = tape.keep(h);
        }
        Tensor loss = gb.sum(h.reshape(256 * 1024), 0, false);
        Tensor last = h;
        long before = Pointer.totalBytes();
        Gradients grads = tape.backward(loss);
        long after = Pointer.totalBytes();
        assertThrows(IllegalStateException.class, () -> last.storage().floats(), "an intermediate is freed");
        assertNull(grads.of(last), "an intermediate's gradient is freed");
        assertNotNull(grads.of(kept), "a kept tensor keeps its gradient");
        kept.storage().floats();                                               // and stays readable
        // freed: 19 of the 20 activations; left: x's gradient and the kept tensor's value and gradient
        assertTrue(before - after >= 16L << 20, "backward released " + (before - after) + " bytes");
        float[] gx = grads.of(x).toFloatArray(), xs = x.toFloatArray();
        for (int i = 0; i < 1000; i++) {                                       // d/dx of 20 nested tanh
            double v = xs[i], d = 1;
            for (int k = 0; k < 20; k++) {
                v = Math.tanh(v);
                d *= 1 - v * v;
            }
            assertEquals(d, gx[i], 1e-5);
        }
    }

    @Test
    void contributionsToOneTensorAreSummedWhateverTheirLayout() {
        Tape tape = new Tape();
        GradBackend gb = new GradBackend(BE, tape);
        Tensor w = tape.watch(ramp(5, 3));                                     // used as Wᵀ (transposed view) twice and whole once
        Tensor a = ramp(4, 3), b = ramp(2, 3);
        Tensor y1 = gb.matmul(a, w.transpose(0, 1));                           // [4, 5]
        Tensor y2 = gb.matmul(b, w.transpose(0, 1));                           // [2, 5]
        Tensor sq = gb.mul(w, w);                                              // the same storage as both inputs
        Tensor part = gb.scale(w.narrow(0, 1, 2), 3f);                         // part of the storage
        Tensor loss = gb.add(gb.add(gb.sum(y1.reshape(20), 0, false), gb.sum(y2.reshape(10), 0, false)),
                gb.add(gb.sum(sq.reshape(15), 0, false), gb.sum(part.reshape(6), 0, false)));
        float[] g = tape.backward(loss).of(w).toFloatArray();
        float[] ws = w.toFloatArray(), as = a.toFloatArray(), bs = b.toFloatArray();
        for (int o = 0; o < 5; o++) {
            for (int i = 0; i < 3; i++) {
                double expected = 2 * ws[o * 3 + i] + (o == 1 || o == 2 ? 3 : 0);
                for (int r = 0; r < 4; r++) expected += as[r * 3 + i];
                for (int r = 0; r < 2; r++) expected += bs[r * 3 + i];
                assertEquals(expected, g[o * 3 + i], 1e-5, "dL/dW[" + o + "," + i + "]");
            }
        }
    }

    @Test
    void aGradientHandedToTwoInputsIsNotShared() {
        Tape tape = new Tape();
        GradBackend gb = new GradBackend(BE, tape);
        Tensor p = tape.watch(ramp(3, 4)), q = tape.watch(ramp(3, 4));
        Tensor s = gb.add(p, q);                                               // hands the same g to p and q
        Tensor loss = gb.add(gb.sum(s.reshape(12), 0, false), gb.sum(gb.mul(p, p).reshape(12), 0, false));
        Gradients grads = tape.backward(loss);
        float[] gp = grads.of(p).toFloatArray(), gq = grads.of(q).toFloatArray(), ps = p.toFloatArray();
        for (int i = 0; i < 12; i++) {
            assertEquals(1 + 2 * ps[i], gp[i], 1e-6, "p gets 1 + 2p");
            assertEquals(1, gq[i], 1e-6, "q's gradient is not changed by p's second contribution");
        }
        assertNotSame(grads.of(p).storage(), grads.of(q).storage());

        Tape t2 = new Tape();                                                  // the same tensor twice through a pass-on
        GradBackend g2 = new GradBackend(BE, t2);
        Tensor r = t2.watch(ramp(3, 4));
        Tensor h = g2.scale(r, 2f);                                            // an intermediate whose gradient is lent
        Tensor twice = g2.add(h, h);
        Tensor l2 = g2.add(g2.sum(g2.mul(twice, twice).reshape(12), 0, false), g2.sum(h.reshape(12), 0, false));
        float[] gr = t2.backward(l2).of(r).toFloatArray(), rs = r.toFloatArray();
        for (int i = 0; i < 12; i++) assertEquals(2 * (2 * 2 * 4 * rs[i] + 1), gr[i], 1e-5, "d/dr of (4r)^2 + 2r");
        List.of(p, q).forEach(t -> assertNotNull(grads.of(t)));
    }
}
