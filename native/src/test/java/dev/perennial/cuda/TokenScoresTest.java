/*
 * The score-aggregation kernels (cuda/src/main/cuda/token_scores.cu: pn_token_scores, pn_sample_scores) on the
 * emulated device against the double reference of core (dev.perennial.select.TokenScores.reference and
 * perSample), under both fiber orders: vocabularies below, at and above the 128-thread block, ignored rows,
 * logits of ±1e4, -inf logits, invalid targets (NaN by contract), empty and fully ignored samples, null outputs,
 * and the launchers' error codes.
 */
package dev.perennial.cuda;

import dev.perennial.select.TokenScores;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenScoresTest {
    private static final int IGNORE = -100;
    // Per-token: sums over V <= 1000 in fp32 (128 strided partial sums, then a tree), results O(1..10) and O(1e4)
    // for the ±1e4 rows (rtol). Per-sample means: <= 40 fp32 additions of such values.
    private static final Tolerance TOKEN = new Tolerance(1e-5, 1e-5), SAMPLE = new Tolerance(1e-6, 1e-5);

    @AfterEach
    void restoreOrder() { EmulatedDevice.setFiberOrder(FiberOrder.FORWARD); }

    /** N, V, logit scale. */
    static Stream<Arguments> cases() {
        int[][] sizes = {{1, 1, 1}, {3, 31, 3}, {4, 33, 5}, {5, 128, 2}, {3, 129, 4}, {2, 1000, 6}, {4, 257, 10000}};
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(sizes)
                .map(s -> Arguments.of(o, s[0], s[1], s[2])));
    }

    @ParameterizedTest(name = "{0} N={1} V={2} scale={3}")
    @MethodSource("cases")
    void tokenScoresMatchTheReference(FiberOrder order, int n, int v, int scale) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(n * 1009L + v);
        Tensor logits = gaussian(rnd, scale, n, v), targets = targets(rnd, n, v);
        TokenScores expected = TokenScores.reference(logits, targets, IGNORE);
        DeviceKernels.TokenScoreTensors actual = EmulatedDevice.kernels().tokenScores(logits, targets, IGNORE);
        TOKEN.assertClose(expected.nll(), actual.nll().toFloatArray(), "nll");
        TOKEN.assertClose(expected.entropy(), actual.entropy().toFloatArray(), "entropy");
        TOKEN.assertClose(expected.el2n(), actual.el2n().toFloatArray(), "el2n");
    }

    /** N, V: rows whose target carries much of the probability, behind or tied with an earlier logit. */
    static Stream<Arguments> peaked() {
        int[][] sizes = {{4, 2}, {6, 33}, {4, 300}};
        return Stream.of(FiberOrder.values()).flatMap(o -> Arrays.stream(sizes).map(s -> Arguments.of(o, s[0], s[1])));
    }

    // The target is not the running maximum when it is read (an earlier logit of the same thread, 128 columns
    // before it when the row is long enough, is equal or larger), so its contribution goes through the "x <= m"
    // path of the online update, with p_t between ~0.2 and 0.5: EL2N depends on leaving it out of sum p^2 there.
    @ParameterizedTest(name = "{0} N={1} V={2}")
    @MethodSource("peaked")
    void targetsBehindOrTiedWithAnEarlierLogit(FiberOrder order, int n, int v) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(n * 131L + v);
        float[] x = gaussian(rnd, 1, n, v).toFloatArray();
        long[] t = new long[n];
        for (int r = 0; r < n; r++) {
            t[r] = 1 + rnd.nextInt(v - 1);
            int earlier = t[r] >= 128 ? (int) t[r] - 128 : rnd.nextInt((int) t[r]);
            float top = 0;
            for (int j = 0; j < v; j++) top = Math.max(top, x[r * v + j]);
            x[r * v + (int) t[r]] = top + 2;
            x[r * v + earlier] = top + 2 + (r % 2 == 0 ? 0f : 0.5f);       // tie on even rows
        }
        Tensor logits = Tensor.of(x, n, v), targets = Tensor.ofLongs(t, n);
        TokenScores expected = TokenScores.reference(logits, targets, IGNORE);
        DeviceKernels.TokenScoreTensors actual = EmulatedDevice.kernels().tokenScores(logits, targets, IGNORE);
        TOKEN.assertClose(expected.nll(), actual.nll().toFloatArray(), "nll");
        TOKEN.assertClose(expected.entropy(), actual.entropy().toFloatArray(), "entropy");
        TOKEN.assertClose(expected.el2n(), actual.el2n().toFloatArray(), "el2n");
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void sampleMeansMatchTheReferenceIncludingEmptyAndUnsupervisedSamples(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        Random rnd = new Random(21);
        int n = 300, v = 7;
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(3) == 0 ? IGNORE : rnd.nextInt(v);
        Arrays.fill(t, 40, 45, IGNORE);                                  // sample 3 [40, 45) has no supervised row
        int[] offsets = {0, 1, 40, 40, 45, 173, 300};                    // sample 2 is empty; 5 spans > 128 rows
        Tensor logits = gaussian(rnd, 3, n, v), targets = Tensor.ofLongs(t, n);
        TokenScores perToken = TokenScores.reference(logits, targets, IGNORE);
        TokenScores.SampleScores expected = perToken.perSample(targets, offsets, IGNORE);

        DeviceKernels.SampleScoreTensors actual = EmulatedDevice.kernels().sampleScores(tensors(perToken),
                targets.to(DType.I32), Tensor.ofInts(offsets, offsets.length), IGNORE);
        SAMPLE.assertClose(expected.meanNll(), actual.meanNll().toFloatArray(), "meanNll");
        SAMPLE.assertClose(expected.meanExpNll(), actual.meanExpNll().toFloatArray(), "meanExpNll");
        SAMPLE.assertClose(expected.meanEl2n(), actual.meanEl2n().toFloatArray(), "meanEl2n");
        SAMPLE.assertClose(expected.entropyAll(), actual.entropyAll().toFloatArray(), "entropyAll");
        SAMPLE.assertClose(expected.entropyResp(), actual.entropyResp().toFloatArray(), "entropyResp");
        assertArrayEquals(expected.count(),
                Arrays.stream(actual.count().toLongArray()).mapToInt(c -> (int) c).toArray());
        assertTrue(Float.isNaN(actual.meanNll().getFloat(3)) && Float.isNaN(actual.entropyAll().getFloat(2)));
        assertTrue(Float.isFinite(actual.entropyAll().getFloat(3)), "entropy over all rows of an unsupervised sample");
    }

    @ParameterizedTest
    @EnumSource(FiberOrder.class)
    void maskedLogitsInvalidTargetsAndAllIgnoredRows(FiberOrder order) {
        EmulatedDevice.setFiberOrder(order);
        float inf = Float.NEGATIVE_INFINITY;
        float[] x = new float[5 * 40];
        Random rnd = new Random(8);
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextInt(4) == 0 ? inf : (float) rnd.nextGaussian();
        Arrays.fill(x, 160, 200, inf);                                   // row 4: no finite logit
        x[40 + 7] = inf;                                                 // row 1 targets a masked entry
        Tensor logits = Tensor.of(x, 5, 40);
        Tensor targets = Tensor.ofLongs(new long[]{3, 7, 40, -1, 0}, 5);   // rows 2 and 3: outside [0, 40)
        TokenScores expected = TokenScores.reference(logits, targets, IGNORE);
        DeviceKernels.TokenScoreTensors actual = EmulatedDevice.kernels().tokenScores(logits, targets, IGNORE);
        TOKEN.assertClose(expected.nll(), actual.nll().toFloatArray(), "nll");
        TOKEN.assertClose(expected.entropy(), actual.entropy().toFloatArray(), "entropy");
        TOKEN.assertClose(expected.el2n(), actual.el2n().toFloatArray(), "el2n");
        assertEquals(Float.POSITIVE_INFINITY, actual.nll().getFloat(1));
        for (int r : new int[]{2, 3}) {
            assertTrue(Float.isNaN(actual.nll().getFloat(r)) && Float.isNaN(actual.el2n().getFloat(r)), "row " + r);
            assertTrue(Float.isFinite(actual.entropy().getFloat(r)), "entropy of row " + r);
        }

        Tensor ignored = Tensor.ofLongs(new long[]{IGNORE, IGNORE, IGNORE}, 3);
        Tensor three = logits.narrow(0, 0, 3);
        DeviceKernels.TokenScoreTensors none = EmulatedDevice.kernels().tokenScores(three, ignored, IGNORE);
        assertArrayEquals(new float[3], none.nll().toFloatArray());
        assertArrayEquals(new float[3], none.el2n().toFloatArray());
        TOKEN.assertClose(TokenScores.reference(three, ignored, IGNORE).entropy(), none.entropy().toFloatArray(),
                "entropy");
        DeviceKernels.SampleScoreTensors means = EmulatedDevice.kernels().sampleScores(none, ignored,
                Tensor.ofLongs(new long[]{0, 3}, 2), IGNORE);
        assertEquals(0, means.count().getLong(0));
        assertTrue(Float.isNaN(means.meanNll().getFloat(0)) && Float.isNaN(means.meanExpNll().getFloat(0))
                && Float.isNaN(means.meanEl2n().getFloat(0)) && Float.isNaN(means.entropyResp().getFloat(0)));
        assertEquals(none.entropy().toFloatArray()[0] / 3 + none.entropy().toFloatArray()[1] / 3
                + none.entropy().toFloatArray()[2] / 3, means.entropyAll().getFloat(0), 1e-5);
    }

    @Test
    void nullOutputsAreSkippedAndMissingInputsOnlyDropTheirMeans() {
        Random rnd = new Random(2);
        Tensor logits = gaussian(rnd, 2, 3, 10), targets = Tensor.ofInts(new int[]{1, IGNORE, 4}, 3);
        try (FloatPointer entropy = new FloatPointer(3)) {
            int code = EmuKernels.pn_token_scores(DeviceKernels.floats(logits), DeviceKernels.ints(targets), 3, 10,
                    IGNORE, null, entropy, null, null);
            assertEquals(0, code);
            float[] e = new float[3];
            entropy.get(e);
            TOKEN.assertClose(TokenScores.reference(logits, targets, IGNORE).entropy(), e, "entropy");
        }
        DeviceKernels.TokenScoreTensors s = EmulatedDevice.kernels().tokenScores(logits, targets, IGNORE);
        DeviceKernels.SampleScoreTensors onlyEntropy = EmulatedDevice.kernels().sampleScores(
                new DeviceKernels.TokenScoreTensors(null, s.entropy(), null), targets,
                Tensor.ofInts(new int[]{0, 3}, 2), IGNORE);
        assertNull(onlyEntropy.meanNll());
        assertNull(onlyEntropy.meanEl2n());
        assertEquals(2, onlyEntropy.count().getLong(0));
        float[] e = s.entropy().toFloatArray();
        assertEquals((e[0] + e[2]) / 2, onlyEntropy.entropyResp().getFloat(0), 1e-6);
    }

    @Test
    void launchersRejectBadSizesAndTheFacadeBadOffsets() {
        try (FloatPointer x = new FloatPointer(4); IntPointer t = new IntPointer(4);
             FloatPointer out = new FloatPointer(4); IntPointer off = new IntPointer(0, 2)) {
            assertEquals(1, EmuKernels.pn_token_scores(x, t, -1, 4, IGNORE, out, null, null, null), "N < 0");
            assertEquals(1, EmuKernels.pn_token_scores(x, t, 1, 0, IGNORE, out, null, null, null), "V = 0");
            assertEquals(1, EmuKernels.pn_token_scores(null, t, 1, 4, IGNORE, out, null, null, null), "no logits");
            assertEquals(0, EmuKernels.pn_token_scores(null, null, 0, 0, IGNORE, null, null, null, null), "N = 0");
            assertEquals(1, EmuKernels.pn_sample_scores(null, out, null, t, off, -1, IGNORE, null, null, null, null,
                    null, null, null), "S < 0");
            assertEquals(1, EmuKernels.pn_sample_scores(null, out, null, t, off, 1, IGNORE, out, null, null, null, null,
                    null, null), "mean nll without nll");
            assertEquals(1, EmuKernels.pn_sample_scores(x, x, x, t, null, 1, IGNORE, out, null, null, null, null,
                    null, null), "no offsets");
            assertEquals(0, EmuKernels.pn_sample_scores(null, null, null, null, null, 0, IGNORE, null, null, null, null,
                    null, null, null), "S = 0");
        }
        DeviceKernels k = EmulatedDevice.kernels();
        Tensor targets = Tensor.ofLongs(new long[]{1, 2, 3}, 3);
        DeviceKernels.TokenScoreTensors s = k.tokenScores(Tensor.zeros(3, 5), targets, IGNORE);
        Tensor decreasing = Tensor.ofInts(new int[]{0, 2, 1}, 3), beyond = Tensor.ofInts(new int[]{0, 4}, 2);
        assertThrows(IllegalArgumentException.class, () -> k.sampleScores(s, targets, decreasing, IGNORE));
        assertThrows(IllegalArgumentException.class, () -> k.sampleScores(s, targets, beyond, IGNORE));
        Tensor logits = Tensor.zeros(3, 5), notInt32 = Tensor.ofLongs(new long[]{1L << 33, 0, 0}, 3);
        assertThrows(IllegalArgumentException.class, () -> k.tokenScores(logits, notInt32, IGNORE));
        assertThrows(IllegalArgumentException.class, () -> k.tokenScores(logits, Tensor.zeros(3), IGNORE));
        assertThrows(IllegalArgumentException.class, () -> k.tokenScores(logits, targets.narrow(0, 0, 2), IGNORE));
    }

    private static DeviceKernels.TokenScoreTensors tensors(TokenScores s) {
        int n = s.nll().length;
        return new DeviceKernels.TokenScoreTensors(Tensor.of(s.nll(), n), Tensor.of(s.entropy(), n),
                Tensor.of(s.el2n(), n));
    }

    static Tensor gaussian(Random rnd, double scale, int n, int v) {
        float[] x = new float[n * v];
        for (int i = 0; i < x.length; i++) x[i] = (float) (scale * rnd.nextGaussian());
        return Tensor.of(x, n, v);
    }

    // Targets in [0, v), every third row ignored.
    static Tensor targets(Random rnd, int n, int v) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = i % 3 == 1 ? IGNORE : rnd.nextInt(v);
        return Tensor.ofLongs(t, n);
    }
}
