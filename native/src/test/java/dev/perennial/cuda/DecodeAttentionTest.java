/*
 * The split-K decode attention kernels (cuda/src/main/cuda/decode_attention.cu) on the emulated device, under both
 * fiber orders: out against the composition that defines Backend.attention (ReferenceBackend.INSTANCE.attention
 * with the same AttentionMask), lse against AttentionReference's log-sum-exp in double.
 *
 * Tolerance |a - r| <= 1e-5 + 1e-4 |r|, the general attention kernel's forward tolerance (AttentionTest): the split
 * kernel does the same float32 operations (a score is a dot product over hd <= 128 terms; out and lse are sums of
 * exponentials), and its longest sequential sum is shorter — chunk keys inside a split, then S partials — than the
 * general kernel's Tk keys. F16/BF16 caches are compared with the reference fed the same half values: widening is
 * exact (pn_half.cuh), so the format adds no error of its own here.
 *
 * Cases: Tk = 1, chunk - 1, chunk, chunk + 1 and 4097 (chunk 64, and the heuristic's chunk on 4097 keys); MHA,
 * GQA 4/2 and 4/1, and groups of 12 query heads over 1 and 2 kv heads that need two blocks of query heads each
 * (a block takes at most 8); hd 8, 33, 64,
 * 128 (all three buckets, odd sizes); F32, F16 and BF16 caches, as narrowed views of a larger cache whose unused
 * rows are NaN; q as a narrowed and as a transposed view; a causal start before the last key (a whole split
 * hidden); padding masks with a split whose keys are all invalid and a batch row with no valid key (out 0,
 * lse -inf); a chunk that is not a multiple of the 32-key tile.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.AttentionMask;
import dev.perennial.tensor.AttentionReference;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.ReferenceBackend;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static dev.perennial.tensor.AttentionReference.assertClose;
import static dev.perennial.tensor.AttentionReference.gaussian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DecodeAttentionTest {
    private static final double ATOL = 1e-5, RTOL = 1e-4;
    private static final int SMS = 132;   // what the emulated device reports (simt_emu.h)

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** How q and the cache are laid out. */
    enum Layout { CONTIGUOUS, CACHE_VIEW, TRANSPOSED_Q }

    /**
     * One decode step. start = Tk - 1 is the decode step's own causal rule (every key visible); chunk 0 = the
     * launcher's heuristic. padded: keys j < 64 and j % 3 == 0 of batch row 0 are invalid and every key of the
     * last batch row is.
     */
    record Case(String name, int b, int h, int kv, int tk, int hd, boolean causal, int start, int chunk, DType cache,
                boolean padded, Layout layout) {
        @Override
        public String toString() { return name; }
    }

    private static Case step(String name, int b, int h, int kv, int tk, int hd, int chunk, DType cache, Layout layout) {
        return new Case(name, b, h, kv, tk, hd, true, tk - 1, chunk, cache, false, layout);
    }

    static final List<Case> CASES = List.of(
            step("Tk 1, MHA 2/2, hd 64", 2, 2, 2, 1, 64, 64, DType.F32, Layout.CONTIGUOUS),
            step("Tk 63 = chunk - 1, GQA 4/2, hd 128, cache view", 2, 4, 2, 63, 128, 64, DType.F32, Layout.CACHE_VIEW),
            step("Tk 64 = chunk, GQA 4/1, hd 64, BF16 cache view", 1, 4, 1, 64, 64, 64, DType.BF16, Layout.CACHE_VIEW),
            step("Tk 65 = chunk + 1, MHA 2/2, hd 128, F16 cache view", 2, 2, 2, 65, 128, 64, DType.F16, Layout.CACHE_VIEW),
            step("Tk 4097, MHA 2/2, hd 64, chunk 64", 1, 2, 2, 4097, 64, 64, DType.F32, Layout.CONTIGUOUS),
            step("Tk 4097, GQA 4/2, hd 128, BF16 cache view, heuristic chunk", 1, 4, 2, 4097, 128, 0, DType.BF16,
                    Layout.CACHE_VIEW),
            step("GQA 12/1 (two head blocks), hd 33, Tk 100, chunk 40", 1, 12, 1, 100, 33, 40, DType.F32,
                    Layout.CONTIGUOUS),
            step("GQA 24/2 (two head blocks per kv head), hd 8, Tk 40, chunk 32", 2, 24, 2, 40, 8, 32, DType.F16,
                    Layout.CACHE_VIEW),
            step("transposed q, GQA 4/2, hd 8, Tk 70, chunk 32", 2, 4, 2, 70, 8, 32, DType.BF16, Layout.TRANSPOSED_Q),
            new Case("causal start 30 < Tk - 1 = 69, hd 8, chunk 32", 1, 2, 1, 70, 8, true, 30, 32, DType.F32, false,
                    Layout.CACHE_VIEW),
            new Case("full attention (not causal), GQA 4/2, hd 64, Tk 33, chunk 16", 2, 4, 2, 33, 64, false, 0, 16,
                    DType.F16, false, Layout.CONTIGUOUS),
            new Case("padding, GQA 4/2, hd 128, Tk 130, chunk 64, BF16", 3, 4, 2, 130, 128, true, 129, 64, DType.BF16,
                    true, Layout.CACHE_VIEW),
            new Case("padding, MHA 2/2, hd 33, Tk 70, heuristic chunk", 2, 2, 2, 70, 33, true, 69, 0, DType.F32, true,
                    Layout.CONTIGUOUS));

    static Stream<Arguments> cases() {
        return Stream.of(FiberOrder.values()).flatMap(o -> CASES.stream().map(c -> Arguments.of(o, c)));
    }

    private record Inputs(Tensor q, Tensor k, Tensor v, Tensor keyValid, AttentionMask mask) {}

    private static Inputs inputs(Case c) {
        Random rnd = new Random(c.name().hashCode());
        Tensor q = switch (c.layout()) {
            case CACHE_VIEW -> gaussian(rnd, c.b(), c.h(), 3, c.hd()).narrow(2, 1, 1);
            case TRANSPOSED_Q -> gaussian(rnd, c.b(), 1, c.h(), c.hd()).transpose(1, 2);
            case CONTIGUOUS -> gaussian(rnd, c.b(), c.h(), 1, c.hd());
        };
        Tensor k = cache(rnd, c), v = cache(rnd, c);
        boolean[][] valid = null;
        Tensor keyValid = null;
        if (c.padded()) {
            valid = new boolean[c.b()][c.tk()];
            keyValid = Tensor.zeros(DType.U8, c.b(), c.tk());
            for (int bi = 0; bi < c.b() - 1; bi++) {
                for (int j = 0; j < c.tk(); j++) {
                    valid[bi][j] = bi > 0 || (j >= 64 && j % 3 != 0);
                    if (valid[bi][j]) keyValid.setLong(1, bi, j);
                }
            }
        }
        AttentionMask mask = c.causal() ? AttentionMask.causal(c.start(), valid)
                : valid == null ? AttentionMask.none() : AttentionMask.padding(valid);
        return new Inputs(q, k, v, keyValid, mask);
    }

    // [B, KV, Tk, hd] in the case's dtype; as a cache view, rows Tk .. Tk + 4 of the underlying cache are NaN.
    private static Tensor cache(Random rnd, Case c) {
        if (c.layout() != Layout.CACHE_VIEW) return gaussian(rnd, c.b(), c.kv(), c.tk(), c.hd()).to(c.cache());
        Tensor full = AttentionReference.nanTail(gaussian(rnd, c.b(), c.kv(), c.tk() + 5, c.hd()), c.tk());
        return full.to(c.cache()).narrow(2, 0, c.tk());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void matchesAttentionAttend(FiberOrder order, Case c) {
        EmulatedDevice.setFiberOrder(order);
        Inputs in = inputs(c);
        float scale = (float) (1 / Math.sqrt(c.hd()));
        DeviceKernels.AttentionResult r = EmulatedDevice.kernels().decodeAttention(in.q(), in.k(), in.v(),
                in.keyValid(), c.causal(), c.start(), scale, c.chunk());

        assertEquals(List.of(c.b(), c.h(), 1, c.hd()), List.of(r.out().size(0), r.out().size(1), r.out().size(2),
                r.out().size(3)));
        Tensor expected = ReferenceBackend.INSTANCE.attention(in.q(), in.k(), in.v(), in.mask(), scale);
        assertClose("out", expected.toDoubleArray(), r.out().toFloatArray(), ATOL, RTOL);
        assertClose("lse", AttentionReference.lse(in.q(), in.k(), in.mask(), scale), r.lse().toFloatArray(), ATOL, RTOL);
        if (c.padded()) {                                              // the batch row without a valid key
            for (float x : r.out().select(0, c.b() - 1).toFloatArray()) assertEquals(0f, x, "out of a row that sees no key");
            for (float x : r.lse().select(0, c.b() - 1).toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, x);
        }
    }

    /** The general kernel and the split kernel agree on a decode step (the backend switches between them). */
    @ParameterizedTest
    @MethodSource("orders")
    void agreesWithTheGeneralKernel(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(11);
        int b = 2, h = 4, kv = 2, tk = 200, hd = 64;
        Tensor q = gaussian(rnd, b, h, 1, hd), k = gaussian(rnd, b, kv, tk, hd), v = gaussian(rnd, b, kv, tk, hd);
        float scale = 0.125f;
        DeviceKernels kernels = EmulatedDevice.kernels();
        DeviceKernels.AttentionResult split = kernels.decodeAttention(q, k, v, null, true, tk - 1, scale, 64);
        DeviceKernels.AttentionResult general = kernels.attentionForward(q, k, v, null, true, tk - 1, scale);
        assertClose("out", general.out().toDoubleArray(), split.out().toFloatArray(), ATOL, RTOL);
        assertClose("lse", general.lse().toDoubleArray(), split.lse().toFloatArray(), ATOL, RTOL);
    }

    /** NaN-prefilled outputs are fully written: no keys at all gives out 0 and lse -inf. */
    @ParameterizedTest
    @MethodSource("orders")
    void outputsAreFullyWritten(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        int b = 2, h = 4, kv = 2, hd = 40;
        Tensor q = gaussian(new Random(3), b, h, 1, hd), out = nans(b, h, 1, hd), lse = nans(b, h);
        long qhs = hd;
        assertEquals(0, EmuKernels.pn_decode_attention(fp(q), null, null, 0, null, b, h, kv, 0, hd, h * qhs, qhs, 0, 0,
                1, -1, 0.5f, 32, null, fp(out), fp(lse), null));
        for (float y : out.toFloatArray()) assertEquals(0f, y);
        for (float y : lse.toFloatArray()) assertEquals(Float.NEGATIVE_INFINITY, y);
    }

    static Stream<FiberOrder> orders() { return Stream.of(FiberOrder.values()); }

    /**
     * The split heuristic (decode_attention.h): chunks are whole 32-key tiles of at least 128 keys unless one split
     * covers everything, and there are enough splits for about 4 blocks per SM when the keys allow it.
     */
    @Test
    void chunkHeuristicFillsTheMachine() {
        int[][] problems = {{1, 32, 32, 4096}, {1, 32, 8, 4096}, {1, 64, 8, 4097}, {4, 32, 32, 2048}, {64, 32, 32, 4096},
                {1, 32, 32, 1}, {1, 32, 32, 100}, {1, 32, 32, 129}, {2, 12, 1, 5000}, {1, 1, 1, 0}};   // {B, H, KV, Tk}
        for (int[] p : problems) {
            int b = p[0], h = p[1], kv = p[2], tk = p[3];
            int chunk = chunk(b, h, kv, tk, SMS);
            String what = "B " + b + " H " + h + " KV " + kv + " Tk " + tk + ": chunk " + chunk;
            assertTrue(chunk >= 32 && chunk % 32 == 0, what);
            long splits = Math.max(1, (tk + chunk - 1) / chunk);
            long blocks = splits * b * kv * ((h / kv + 7) / 8);
            assertTrue(splits == 1 || chunk >= 128, what + " is shorter than 128 keys");
            // more splits only where the grid is below 4 blocks per SM and chunks of >= 128 keys remain
            assertTrue(splits == 1 || blocks - (long) b * kv * ((h / kv + 7) / 8) < 4L * SMS, what + " oversplits");
            if (tk >= 128 * 2 && blocks < 4L * SMS / 2) {
                assertTrue(chunk <= 128 + 31, what + " leaves the machine idle with " + blocks + " blocks");
            }
        }
        // LLaMA-7B, batch 1, Tk 4096 (docs/kernels.md): 16 splits of 256 keys, 512 blocks
        assertEquals(256, chunk(1, 32, 32, 4096, SMS));
        assertEquals(chunk(1, 32, 32, 4096, SMS), chunk(1, 32, 32, 4096, 0), "0 = the device's SM count");
    }

    private static int chunk(int b, int h, int kv, int tk, int sms) {
        try (IntPointer out = new IntPointer(1)) {
            assertEquals(0, EmuKernels.pn_decode_attention_chunk(b, h, kv, tk, sms, out));
            return out.get();
        }
    }

    @Test
    void launchersRejectBadArguments() {
        // {H, KV, Tk, hd, stride, dtype, chunk}
        int[][] bad = {{2, 1, 3, 0, 1, 0, 32}, {2, 1, 3, 129, 1, 0, 32}, {3, 2, 3, 8, 1, 0, 32}, {2, 0, 3, 8, 1, 0, 32},
                {2, 1, -1, 8, 1, 0, 32}, {2, 1, 3, 8, -1, 0, 32}, {2, 1, 3, 8, 1, 3, 32}, {2, 1, 3, 8, 1, 0, 0}};
        Tensor any = Tensor.zeros(64);
        for (int[] a : bad) {
            assertEquals(1, EmuKernels.pn_decode_attention(fp(any), fp(any), fp(any), a[5], null, 1, a[0], a[1], a[2],
                    a[3], a[4], a[4], a[4], a[4], 1, 0, 1f, a[6], fp(any), fp(any), fp(any), null),
                    java.util.Arrays.toString(a));
        }
        // a missing workspace when there are keys
        assertEquals(1, EmuKernels.pn_decode_attention(fp(any), fp(any), fp(any), 0, null, 1, 2, 1, 3, 8, 16, 8, 24, 24,
                1, 2, 1f, 32, null, fp(any), fp(any), null));
        try (IntPointer out = new IntPointer(1)) {
            assertEquals(1, EmuKernels.pn_decode_attention_chunk(1, 3, 2, 10, SMS, out));
            assertEquals(1, EmuKernels.pn_decode_attention_chunk(1, 2, 1, 10, SMS, null));
        }
        Tensor q = Tensor.zeros(1, 1, 1, 129), kv = Tensor.zeros(1, 1, 2, 129);
        KernelLaunchException e = assertThrows(KernelLaunchException.class,
                () -> EmulatedDevice.kernels().decodeAttention(q, kv, kv, null, true, 1, 1f));
        assertEquals(1, e.code());
        assertThrows(IllegalArgumentException.class, () -> EmulatedDevice.kernels().decodeAttention(
                Tensor.zeros(1, 1, 2, 8), Tensor.zeros(1, 1, 2, 8), Tensor.zeros(1, 1, 2, 8), null, true, 1, 1f));
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static Tensor nans(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.numel(); i++) t.storage().setFloat(i, Float.NaN);
        return t;
    }

    private static FloatPointer fp(Tensor t) { return new FloatPointer(t.storage().pointer()).position(t.offset()); }
}
