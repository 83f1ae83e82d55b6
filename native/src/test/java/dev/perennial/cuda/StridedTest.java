/*
 * The strided element-wise kernels (cuda/src/main/cuda/strided.cu) on the emulated device, as one table: every
 * unary op over every input layout and every binary op over every broadcast pair, under both fiber orders,
 * against ReferenceBackend (which defines each op: double math, one rounding to float). Layouts: rank 0 to 6,
 * sizes 1, 31, 33, 257 and 600 around the 256-thread block, transposed / narrowed / expanded / permuted views,
 * F16 and BF16 storage, F64 (converted on the host), and IEEE specials (±0, ±Inf, NaN, overflowing arguments).
 *
 * Tolerances |a - r| <= atol + rtol |r| (Close), per op:
 *  - COPY, SCALE, SQRT, ADD, SUB, MUL, DIV: exact (0, 0). One IEEE float operation on exactly widened inputs
 *    gives the correctly rounded result, and rounding the reference's double result to float gives the same
 *    value (double has more than 2 * 24 + 2 bits, so double rounding is innocuous for + - * / sqrt).
 *  - EXP, LOG, TANH, ERF: atol 1e-7, rtol 1e-6. One libm call in float: CUDA documents <= 2 ulp (2.4e-7
 *    relative), glibc is within 1 ulp; 1e-6 leaves room for neither more. atol covers subnormal results.
 *  - GELU, GELU_TANH, QUICK_GELU, SILU, SWIGLU: atol 1e-6, rtol 1e-5. A float argument z (e.g. 1.702 x, or u
 *    of GELU_TANH) is rounded before e^{-z} or erfc, and that relative error 6e-8 is multiplied by |z| in the
 *    result's relative error; |z| up to ~100 for the inputs below. atol covers results that underflow (x e^{-z}
 *    for x << 0) where the kernel gives -0.
 * Also: inputs are read in place (no DeviceMemory.input call), contiguous() keeps the dtype and copies bits, the
 * F16/BF16 widening is bit-exact for all 65536 patterns, and the launchers reject bad arguments with code 1.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BinaryOperator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StridedTest {
    private static final ReferenceBackend REF = ReferenceBackend.INSTANCE;
    private static final float SCALE = -0.37f;
    private static final float[] SPECIALS = {0f, -0f, 1f, -1f, 1e-3f, 50f, -50f, 100f, -100f,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** An input: values (Gaussian, or fixed) in a storage tensor of `base` shape and `dtype`, seen through `view`. */
    record Input(String name, DType dtype, int[] base, UnaryOperator<Tensor> view, float[] fixed) {
        static Input of(String name, DType dtype, int[] base, UnaryOperator<Tensor> view) {
            return new Input(name, dtype, base, view, null);
        }

        /** positive: |values| (the domain of LOG and SQRT; the specials keep their signs). */
        Tensor make(Random rnd, boolean positive) {
            float[] v = fixed != null ? fixed.clone() : new float[(int) Arrays.stream(base).asLongStream().reduce(1, (a, b) -> a * b)];
            if (fixed == null) {
                for (int i = 0; i < v.length; i++) v[i] = (float) (3 * rnd.nextGaussian());
                if (positive) for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
            }
            Tensor t = Tensor.of(v, base);
            return view.apply(dtype == DType.F32 ? t : t.to(dtype));
        }

        @Override
        public String toString() { return name; }
    }

    private static final UnaryOperator<Tensor> AS_IS = t -> t;

    static List<Input> unaryInputs() {
        return List.of(
                Input.of("scalar", DType.F32, new int[0], AS_IS),
                Input.of("[1]", DType.F32, new int[]{1}, AS_IS),
                Input.of("[31]", DType.F32, new int[]{31}, AS_IS),
                Input.of("[33]", DType.F32, new int[]{33}, AS_IS),
                Input.of("[257]", DType.F32, new int[]{257}, AS_IS),
                Input.of("[600]", DType.F32, new int[]{600}, AS_IS),
                Input.of("[7,5]", DType.F32, new int[]{7, 5}, AS_IS),
                Input.of("[6,9]^T", DType.F32, new int[]{6, 9}, t -> t.transpose(0, 1)),
                Input.of("[5,12].narrow(1,3,7)", DType.F32, new int[]{5, 12}, t -> t.narrow(1, 3, 7)),
                Input.of("[1,5].expand(4,5)", DType.F32, new int[]{1, 5}, t -> t.expand(4, 5)),
                Input.of("[3,4,5].permute(2,0,1)", DType.F32, new int[]{3, 4, 5}, t -> t.permute(2, 0, 1)),
                Input.of("[2,3,4,5].narrow(3,1,4).transpose(1,2)", DType.F32, new int[]{2, 3, 4, 5},
                        t -> t.narrow(3, 1, 4).transpose(1, 2)),
                Input.of("[2,1,3,2,3].permute(4,1,0,3,2)", DType.F32, new int[]{2, 1, 3, 2, 3}, t -> t.permute(4, 1, 0, 3, 2)),
                Input.of("[2,1,2,3,1,2].transpose(0,3)", DType.F32, new int[]{2, 1, 2, 3, 1, 2}, t -> t.transpose(0, 3)),
                Input.of("F16 [4,9]^T", DType.F16, new int[]{4, 9}, t -> t.transpose(0, 1)),
                Input.of("BF16 [3,11].narrow(1,2,7)", DType.BF16, new int[]{3, 11}, t -> t.narrow(1, 2, 7)),
                Input.of("F16 scalar", DType.F16, new int[0], AS_IS),
                Input.of("BF16 [1,6].expand(3,2,6)", DType.BF16, new int[]{1, 6}, t -> t.expand(3, 2, 6)),
                Input.of("F64 [5]", DType.F64, new int[]{5}, AS_IS),
                new Input("specials", DType.F32, new int[]{SPECIALS.length}, AS_IS, SPECIALS));
    }

    /** Each unary op with its tolerance (see the class comment), domain and ReferenceBackend definition. */
    record UnaryCase(UnaryOp op, double atol, double rtol, boolean positive, UnaryOperator<Tensor> reference) {
        @Override
        public String toString() { return op.name(); }
    }

    static List<UnaryCase> unaryOps() {
        double a1 = 1e-7, r1 = 1e-6, a2 = 1e-6, r2 = 1e-5;
        return List.of(
                new UnaryCase(UnaryOp.COPY, 0, 0, false, t -> t.to(DType.F32)),
                new UnaryCase(UnaryOp.SCALE, 0, 0, false, t -> REF.scale(t, SCALE)),
                new UnaryCase(UnaryOp.SQRT, 0, 0, true, REF::sqrt),
                new UnaryCase(UnaryOp.EXP, a1, r1, false, REF::exp),
                new UnaryCase(UnaryOp.LOG, a1, r1, true, REF::log),
                new UnaryCase(UnaryOp.TANH, a1, r1, false, REF::tanh),
                new UnaryCase(UnaryOp.ERF, a1, r1, false, REF::erf),
                new UnaryCase(UnaryOp.GELU, a2, r2, false, REF::gelu),
                new UnaryCase(UnaryOp.GELU_TANH, a2, r2, false, REF::geluTanh),
                new UnaryCase(UnaryOp.QUICK_GELU, a2, r2, false, REF::quickGelu),
                new UnaryCase(UnaryOp.SILU, a2, r2, false, REF::silu));
    }

    static Stream<Arguments> unaryTable() {
        List<Arguments> rows = new ArrayList<>();
        for (FiberOrder order : FiberOrder.values())
            for (UnaryCase op : unaryOps())
                for (Input in : unaryInputs()) rows.add(Arguments.of(order, op, in));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("unaryTable")
    void unaryMatchesReference(FiberOrder order, UnaryCase op, Input input) {
        EmulatedDevice.setFiberOrder(order);
        Tensor x = input.make(new Random(input.name().hashCode()), op.positive());
        Tensor actual = EmulatedDevice.kernels().unary(op.op(), x, SCALE);
        Close.assertClose(op.reference().apply(x), actual, op.atol(), op.rtol(), op + " " + input);
    }

    /** Each binary op with its tolerance and ReferenceBackend definition. */
    record BinaryCase(BinaryOp op, double atol, double rtol, BinaryOperator<Tensor> reference) {
        @Override
        public String toString() { return op.name(); }
    }

    static List<BinaryCase> binaryOps() {
        return List.of(
                new BinaryCase(BinaryOp.ADD, 0, 0, REF::add),
                new BinaryCase(BinaryOp.SUB, 0, 0, REF::sub),
                new BinaryCase(BinaryOp.MUL, 0, 0, REF::mul),
                new BinaryCase(BinaryOp.DIV, 0, 0, REF::div),
                new BinaryCase(BinaryOp.SWIGLU, 1e-6, 1e-5, REF::swiglu));
    }

    record Pair(String name, Input a, Input b) {
        @Override
        public String toString() { return name; }
    }

    static List<Pair> binaryInputs() {
        float[] specialsA = {0f, 1f, -1f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0f, 2f, -100f};
        float[] specialsB = {0f, 0f, Float.POSITIVE_INFINITY, Float.POSITIVE_INFINITY, 1f, 2f, -0f, Float.NEGATIVE_INFINITY, 3f};
        return List.of(
                new Pair("scalar . scalar", Input.of("a", DType.F32, new int[0], AS_IS), Input.of("b", DType.F32, new int[0], AS_IS)),
                new Pair("[33] . scalar", Input.of("a", DType.F32, new int[]{33}, AS_IS), Input.of("b", DType.F32, new int[0], AS_IS)),
                new Pair("[2,1,5] . [3,1]", Input.of("a", DType.F32, new int[]{2, 1, 5}, AS_IS),
                        Input.of("b", DType.F32, new int[]{3, 1}, AS_IS)),
                new Pair("[4,5] . [5]", Input.of("a", DType.F32, new int[]{4, 5}, AS_IS), Input.of("b", DType.F32, new int[]{5}, AS_IS)),
                new Pair("[4,1] . [1,6]", Input.of("a", DType.F32, new int[]{4, 1}, AS_IS),
                        Input.of("b", DType.F32, new int[]{1, 6}, AS_IS)),
                new Pair("[6,4]^T . [4,10].narrow(1,2,6)", Input.of("a", DType.F32, new int[]{6, 4}, t -> t.transpose(0, 1)),
                        Input.of("b", DType.F32, new int[]{4, 10}, t -> t.narrow(1, 2, 6))),
                new Pair("[1,5].expand(3,5) . [3,5]", Input.of("a", DType.F32, new int[]{1, 5}, t -> t.expand(3, 5)),
                        Input.of("b", DType.F32, new int[]{3, 5}, AS_IS)),
                new Pair("[2,1,3,1,5] . [2,1,4,1]^T", Input.of("a", DType.F32, new int[]{2, 1, 3, 1, 5}, AS_IS),
                        Input.of("b", DType.F32, new int[]{4, 1, 2, 1}, t -> t.permute(2, 1, 0, 3))),
                new Pair("F16 [3,7] . BF16 [7]", Input.of("a", DType.F16, new int[]{3, 7}, AS_IS),
                        Input.of("b", DType.BF16, new int[]{7}, AS_IS)),
                new Pair("[257] . [257]", Input.of("a", DType.F32, new int[]{257}, AS_IS),
                        Input.of("b", DType.F32, new int[]{257}, AS_IS)),
                new Pair("[2,1,2,1,3,2] . [2,3,1]", Input.of("a", DType.F32, new int[]{2, 1, 2, 1, 3, 2}, AS_IS),
                        Input.of("b", DType.F32, new int[]{2, 3, 1}, AS_IS)),
                new Pair("specials", new Input("a", DType.F32, new int[]{specialsA.length}, AS_IS, specialsA),
                        new Input("b", DType.F32, new int[]{specialsB.length}, AS_IS, specialsB)));
    }

    static Stream<Arguments> binaryTable() {
        List<Arguments> rows = new ArrayList<>();
        for (FiberOrder order : FiberOrder.values())
            for (BinaryCase op : binaryOps())
                for (Pair p : binaryInputs()) rows.add(Arguments.of(order, op, p));
        return rows.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("binaryTable")
    void binaryMatchesReference(FiberOrder order, BinaryCase op, Pair pair) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(pair.name().hashCode());
        Tensor a = pair.a().make(rnd, false), b = pair.b().make(rnd, false);
        Tensor actual = EmulatedDevice.kernels().binary(op.op(), a, b);
        Close.assertClose(op.reference().apply(a, b), actual, op.atol(), op.rtol(), op + " " + pair);
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void contiguousKeepsDtypeAndBits(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(11);
        for (DType dtype : new DType[]{DType.F32, DType.F16, DType.BF16, DType.F64, DType.I64, DType.I32, DType.U8}) {
            float[] v = new float[3 * 4 * 5];
            for (int i = 0; i < v.length; i++) v[i] = dtype.isFloating() ? (float) rnd.nextGaussian() : rnd.nextInt(100);
            Tensor x = Tensor.of(v, 3, 4, 5).to(dtype).permute(2, 0, 1).narrow(0, 1, 3);   // [3, 3, 4] view
            Tensor y = EmulatedDevice.kernels().contiguous(x);
            assertEquals(dtype, y.dtype(), "dtype kept");
            assertTrue(y.isContiguous());
            assertArrayEquals(rawBytes(x.contiguous()), rawBytes(y), dtype + " bits");
        }
        Tensor already = Tensor.of(new float[]{1, 2, 3}, 3);
        assertSame(already, EmulatedDevice.kernels().contiguous(already), "a contiguous tensor is returned as is");
    }

    /** COPY widens each of the 65536 F16 / BF16 patterns exactly as dev.perennial.tensor.Half (NaN payloads too). */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F16", "BF16"})
    void widensEvery16BitPatternExactly(DType dtype) {
        Tensor bits = Tensor.zeros(dtype, 256, 256);
        for (int i = 0; i < 65536; i++) bits.storage().shorts().put(i, (short) i);
        Tensor x = bits.transpose(0, 1);                                   // read through strides as well
        float[] y = EmulatedDevice.kernels().unary(UnaryOp.COPY, x, 0f).toFloatArray();
        for (int r = 0; r < 256; r++) {
            for (int c = 0; c < 256; c++) {
                short h = (short) (c * 256 + r);
                float expected = dtype == DType.F16 ? Half.f16ToFloat(h) : Half.bf16ToFloat(h);
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(y[r * 256 + c]),
                        dtype + " pattern 0x" + Integer.toHexString(h & 0xffff));
            }
        }
        // The copy moves bits (Tensor.contiguous() goes through float and would quieten signalling NaNs).
        Tensor copy = EmulatedDevice.kernels().contiguous(x);
        for (int i = 0; i < 65536; i++) {
            assertEquals((short) (i % 256 * 256 + i / 256), copy.storage().shorts().get(i), "16-bit copy of element " + i);
        }
    }

    @Test
    void stridedOperandsAreReadInPlace() {
        int[] inputs = {0};
        DeviceMemory counting = new DeviceMemory() {
            @Override public Tensor empty(DType dtype, int... shape) { return HostMemory.INSTANCE.empty(dtype, shape); }
            @Override public Tensor input(Tensor t, DType dtype) {
                inputs[0]++;
                return HostMemory.INSTANCE.input(t, dtype);
            }
            @Override public Tensor resident(Tensor t) { return t; }
            @Override public boolean holds(Tensor t) { return true; }
            @Override public boolean hostReadable(Tensor t) { return true; }
            @Override public Tensor zeros(DType dtype, int... shape) { return HostMemory.INSTANCE.zeros(dtype, shape); }
            @Override public Tensor upload(Tensor t) { return t; }
            @Override public DeviceTraffic traffic() { return DeviceTraffic.NONE; }
            @Override public void resetTraffic() {}
            @Override public Pointer stream() { return null; }
            @Override public void synchronize() {}
        };
        DeviceKernels k = new DeviceKernels(StaticBindingAbi.of(EmuKernels.class, EmuKernels::pn_emu_last_message), counting);
        Random rnd = new Random(5);
        Tensor a = Input.of("a", DType.F16, new int[]{6, 4}, t -> t.transpose(0, 1)).make(rnd, false);
        Tensor b = Input.of("b", DType.BF16, new int[]{1, 6}, t -> t.expand(4, 6)).make(rnd, false);
        Close.assertClose(REF.mul(a, b), k.binary(BinaryOp.MUL, a, b), 0, 0, "mul");
        Close.assertClose(REF.gelu(a), k.unary(UnaryOp.GELU, a, 0f), 1e-6, 1e-5, "gelu");
        Close.assertClose(a.to(DType.F32), k.contiguous(a.to(DType.F32).transpose(0, 1)).transpose(0, 1), 0, 0, "copy");
        assertEquals(0, inputs[0], "DeviceMemory.input calls (host copies)");
    }

    /** Destination views of a [2, 3, 8, 4] buffer as Backend.copyInto meets them (KV-cache slots, slices, transposes). */
    static Stream<Arguments> copyIntoCases() {
        List<UnaryOperator<Tensor>> views = List.of(
                t -> t.narrow(2, 5, 2),                     // the next positions of a KV cache [B, KV, t, hd]
                t -> t.narrow(1, 1, 2),                     // a part of a concatenation
                t -> t.select(0, 1),                        // a slot of a stack
                t -> t.transpose(1, 3),                     // a fully strided destination
                t -> t);
        List<DType> dtypes = List.of(DType.F32, DType.F16, DType.I64, DType.U8, DType.I32);
        List<Arguments> cases = new ArrayList<>();
        for (FiberOrder o : FiberOrder.values()) {
            for (DType d : dtypes) for (int v = 0; v < views.size(); v++) cases.add(Arguments.of(o, d, v, views.get(v)));
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} view {2}")
    @MethodSource("copyIntoCases")
    void copyIntoWritesExactlyTheViewLikeTheHostCopy(FiberOrder order, DType dtype, int index, UnaryOperator<Tensor> view) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(index * 31L + dtype.ordinal());
        Tensor expected = Tensor.zeros(dtype, 2, 3, 8, 4), actual = Tensor.zeros(dtype, 2, 3, 8, 4);
        for (int i = 0; i < expected.numel(); i++) {
            long v = rnd.nextInt(200);
            expected.storage().setLong(i, v);
            actual.storage().setLong(i, v);
        }
        Tensor dst = view.apply(expected);
        Tensor src = Tensor.zeros(dtype, dst.shape());
        for (int i = 0; i < src.numel(); i++) src.storage().setLong(i, 1000 + i % 50 - (dtype == DType.U8 ? 900 : 0));
        dst.copyFrom(src);
        EmulatedDevice.kernels().copyInto(view.apply(actual), src.permute(reverse(src.rank())).contiguous().permute(reverse(src.rank())));
        assertArrayEquals(expected.toDoubleArray(), actual.toDoubleArray(), "every element inside the view written, none outside");
    }

    private static int[] reverse(int rank) {
        int[] p = new int[rank];
        for (int i = 0; i < rank; i++) p[i] = rank - 1 - i;
        return p;
    }

    @Test
    void copyIntoRejectsAShapeMismatchAndAHostDestinationOfAKeptApartDevice() {
        Tensor dst = Tensor.zeros(2, 3);
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().copyInto(dst, Tensor.zeros(3, 2)));
        CudaBackend device = CudaBackend.emulated();
        assertThrows(IllegalArgumentException.class, () -> device.device().kernels().copyInto(dst, Tensor.zeros(2, 3)));
        Tensor placed = device.zeros(DType.F32, 2, 3);
        device.copyInto(placed.narrow(1, 1, 2), Tensor.of(new float[]{1, 2, 3, 4}, 2, 2));
        assertArrayEquals(new float[]{0, 1, 2, 0, 3, 4}, placed.toFloatArray());
    }

    @Test
    void rankAboveSixIsRejected() {
        Tensor x = Tensor.zeros(1, 1, 1, 1, 1, 1, 2);
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().unary(UnaryOp.EXP, x, 0f));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().binary(BinaryOp.ADD, x, x));
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().unary(UnaryOp.EXP, Tensor.zeros(DType.I32, 2), 0f));
    }

    @Test
    void launchersRejectBadArgumentsWithCode1() {
        Tensor x = Tensor.of(new float[]{1, 2, 3, 4}, 4);
        Pointer p = x.storage().pointer();
        try (LongPointer shape = new LongPointer(new long[]{4}); LongPointer negative = new LongPointer(new long[]{-1});
             LongPointer zero = new LongPointer(new long[]{0}); LongPointer stride = new LongPointer(new long[]{1});
             LongPointer rank7 = new LongPointer(new long[]{1, 1, 1, 1, 1, 1, 4});
             LongPointer strides7 = new LongPointer(new long[]{4, 4, 4, 4, 4, 4, 1});
             FloatPointer out = new FloatPointer(4)) {
            out.put(new float[]{7, 7, 7, 7});
            assertEquals(0, EmuKernels.pn_strided_unary(UnaryOp.EXP.code(), p, 0, 0, stride, shape, 1, 0f, out, null));
            assertEquals(1, EmuKernels.pn_strided_unary(11, p, 0, 0, stride, shape, 1, 0f, out, null), "op code");
            assertEquals(1, EmuKernels.pn_strided_unary(-1, p, 0, 0, stride, shape, 1, 0f, out, null), "op code");
            assertEquals(1, EmuKernels.pn_strided_unary(0, p, 3, 0, stride, shape, 1, 0f, out, null), "dtype code");
            assertEquals(1, EmuKernels.pn_strided_unary(0, p, 0, -1, stride, shape, 1, 0f, out, null), "offset");
            assertEquals(1, EmuKernels.pn_strided_unary(0, p, 0, 0, stride, negative, 1, 0f, out, null), "size");
            assertEquals(1, EmuKernels.pn_strided_unary(0, p, 0, 0, strides7, rank7, 7, 0f, out, null), "rank");
            assertEquals(1, EmuKernels.pn_strided_unary(0, null, 0, 0, stride, shape, 1, 0f, out, null), "null input");
            assertEquals(1, EmuKernels.pn_strided_binary(5, p, 0, 0, stride, p, 0, 0, stride, shape, 1, out, null), "op code");
            assertEquals(1, EmuKernels.pn_strided_binary(0, p, 0, 0, stride, p, 7, 0, stride, shape, 1, out, null), "dtype code");
            assertEquals(1, EmuKernels.pn_strided_copy(p, 3, 0, stride, shape, 1, out, null), "element size");
            out.put(new float[]{7, 7, 7, 7});
            assertEquals(0, EmuKernels.pn_strided_unary(0, null, 0, 0, stride, zero, 1, 0f, null, null), "empty: no launch");
            assertEquals(0, EmuKernels.pn_strided_copy(p, 4, 0, stride, zero, 1, out, null), "empty copy");
            assertEquals(7f, out.get(0), "nothing written for an empty shape");
        }
    }

    private static byte[] rawBytes(Tensor t) {
        int n = (int) t.numel() * t.dtype().byteSize();
        byte[] b = new byte[n];
        t.storage().bytes().position(t.offset() * t.dtype().byteSize()).get(b, 0, n);
        return b;
    }
}
