/*
 * The RoPE kernel (cuda/src/main/cuda/rope.cu) on the emulated device against ReferenceBackend.rope, under both
 * fiber orders: head dims 2, 8 and 64 (64 with 5 heads: 160 rotation pairs, more than the 128 threads), positions
 * [T] and [B, T] including large ones (up to 4095, where a float angle would already be off by ~2.4e-4 rad),
 * theta 10000 and 500000; the backward (inverse rotation) against ReferenceBackend.rope(dy, -positions), which is
 * exactly the rotation by -angle; a transposed q read in place and an F16 input; argument errors.
 *
 * Tolerance |a - r| <= 1e-6 + 1e-6 |r| with inputs in [-1, 1): cos and sin are rounded to float (2^-24 relative
 * each) and the rotation x1 c - x2 s is two float products and a sum, so the error against the all-double
 * reference is at most ~3 * 2^-24 * (|x1| + |x2|) <= 3.6e-7.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RopeTest {
    private static final ReferenceBackend REF = ReferenceBackend.INSTANCE;
    private static final double ATOL = 1e-6, RTOL = 1e-6;

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** {B, H, T, hd} and theta. */
    static Stream<Arguments> cases() {
        Object[][] shapes = {{new int[]{2, 3, 5, 2}, 10000f}, {new int[]{2, 2, 6, 8}, 500000f}, {new int[]{2, 5, 4, 64}, 10000f}};
        List<Arguments> rows = new ArrayList<>();
        for (FiberOrder order : FiberOrder.values())
            for (Object[] s : shapes)
                for (boolean perBatch : new boolean[]{false, true})
                    for (boolean backward : new boolean[]{false, true}) rows.add(Arguments.of(order, s[0], s[1], perBatch, backward));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} x{1} theta {2} perBatch {3} backward {4}")
    @MethodSource("cases")
    void matchesReference(FiberOrder order, int[] shape, float theta, boolean perBatch, boolean backward) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(shape[3] * 7L + (perBatch ? 1 : 0));
        Tensor x = uniform(rnd, shape);
        int b = shape[0], t = shape[2];
        long[] p = new long[perBatch ? b * t : t];
        for (int i = 0; i < p.length; i++) p[i] = i == 1 ? 4095 : rnd.nextInt(4096);   // position 4095 always present
        Tensor positions = perBatch ? Tensor.ofLongs(p, b, t) : Tensor.ofLongs(p, t);
        long[] negated = p.clone();
        for (int i = 0; i < negated.length; i++) negated[i] = -negated[i];
        Tensor expected = backward ? REF.rope(x, Tensor.ofLongs(negated, positions.shape()), theta) : REF.rope(x, positions, theta);
        Tensor actual = backward ? EmulatedDevice.kernels().ropeBackward(x, positions.to(DType.I32), theta)
                : EmulatedDevice.kernels().rope(x, positions.to(DType.I32), theta);
        Close.assertClose(expected, actual, ATOL, RTOL, backward ? "rope backward" : "rope");
    }

    /** q as attention makes it: [B, T, H, hd] transposed to [B, H, T, hd], read through its strides; also F16. */
    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void transposedAndHalfInputs(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(9);
        Tensor q = uniform(rnd, new int[]{2, 7, 3, 8}).transpose(1, 2);
        Tensor positions = Tensor.ofLongs(new long[]{0, 1, 2, 3, 4, 5, 4095}, 7);
        Close.assertClose(REF.rope(q, positions, 10000f), EmulatedDevice.kernels().rope(q, positions, 10000f), ATOL, RTOL,
                "transposed q, I64 positions");
        Tensor h = q.to(DType.F16);
        Close.assertClose(REF.rope(h, positions, 10000f), EmulatedDevice.kernels().rope(h, positions, 10000f), ATOL, RTOL,
                "F16 x");
    }

    @Test
    void badArguments() {
        Tensor x = Tensor.zeros(1, 2, 3, 4), pos = Tensor.ofInts(new int[]{0, 1, 2}, 3);
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().rope(Tensor.zeros(1, 2, 3, 5), pos, 1e4f));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().rope(Tensor.zeros(2, 3, 4), pos, 1e4f));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().rope(x, Tensor.ofInts(new int[]{0, 1}, 2), 1e4f));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().rope(x, Tensor.zeros(3), 1e4f));
        try (FloatPointer in = new FloatPointer(4096); FloatPointer out = new FloatPointer(4096); IntPointer p = new IntPointer(4)) {
            assertEquals(1, EmuKernels.pn_rope(in, 8, 8, 8, 1, p, 0, out, 1, 1, 1, 7, 1e4f, 0, null), "odd head dim");
            assertEquals(1, EmuKernels.pn_rope(in, 2048, 2048, 2048, 1, p, 0, out, 1, 1, 1, 2048, 1e4f, 0, null), "hd > 1024");
            assertEquals(1, EmuKernels.pn_rope(in, 2, 2, 2, 1, p, 0, out, 65536, 1, 1, 2, 1e4f, 0, null), "batch > 65535");
            assertEquals(1, EmuKernels.pn_rope(in, 2, 2, 2, 1, p, 2, out, 1, 1, 1, 2, 1e4f, 0, null), "positions flag");
            assertEquals(1, EmuKernels.pn_rope(in, 2, 2, 2, 1, null, 0, out, 1, 1, 1, 2, 1e4f, 0, null), "null positions");
            assertEquals(0, EmuKernels.pn_rope(null, 2, 2, 2, 1, null, 0, null, 1, 1, 0, 2, 1e4f, 0, null), "T = 0: no launch");
        }
    }

    private static Tensor uniform(Random rnd, int[] shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = 2 * rnd.nextFloat() - 1;
        return Tensor.of(v, shape);
    }
}
