/*
 * The ops that select, cluster and score declare (docs/architecture.md, "Ops with a home") run on the CUDA backend
 * through its op table and give the CPU's results (emulated device): k-means with the kmeans_assign kernel (the
 * same labels on planted clusters, centroids and inertia to float rounding), a whole PoolStep (the same selection
 * and pruning), ADAPT-∞'s token scores (token_scores kernel) and the dense Rademacher projection (random_projection
 * kernel). Each test also checks that the device's op was the one used.
 */
package dev.perennial.cuda;

import dev.perennial.cluster.InMemoryVectors;
import dev.perennial.cluster.KMeans;
import dev.perennial.cluster.NearestCentroids;
import dev.perennial.select.GradientProjection;
import dev.perennial.select.PoolStep;
import dev.perennial.select.RandomProjection;
import dev.perennial.select.StepConfig;
import dev.perennial.select.TokenScores;
import dev.perennial.select.TokenScoring;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpsOnDeviceTest {
    /** n points around `blobs` well separated centres in d dims. */
    private static float[][] planted(int n, int blobs, int d, long seed) {
        Random rnd = new Random(seed);
        float[][] centres = new float[blobs][d], x = new float[n][d];
        for (float[] c : centres) for (int j = 0; j < d; j++) c[j] = (float) (rnd.nextGaussian() * 4);
        for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) x[i][j] = centres[i % blobs][j] + (float) (rnd.nextGaussian() * 0.3);
        return x;
    }

    @Test
    void kMeansAssignsOnTheDeviceWithTheCpusResult() {
        CudaBackend device = CudaBackend.emulated();
        assertTrue(NearestCentroids.OP.offeredBy(device) && !NearestCentroids.OP.offeredBy(new CpuBackend()));
        InMemoryVectors v = new InMemoryVectors(planted(700, 5, 24, 1));   // 3 chunks of 256 points
        KMeans.Config cfg = KMeans.Config.of(5).withVariant(KMeans.Variant.LLOYD).withSeed(11);
        KMeans.Result cpu = KMeans.fit(v, cfg, null, new CpuBackend());
        device.resetTraffic();
        KMeans.Result dev = KMeans.fit(v, cfg, null, device);
        assertTrue(device.traffic().uploads() > 0, "the chunks went to the device: " + device.traffic());
        assertArrayEquals(cpu.labels(), dev.labels());
        assertEquals(cpu.iterations(), dev.iterations());
        assertEquals(cpu.inertia(), dev.inertia(), 1e-5 * cpu.inertia());
        for (int c = 0; c < 5; c++) {
            for (int j = 0; j < 24; j++) assertEquals(cpu.centroids()[c][j], dev.centroids()[c][j], 1e-5, "centroid " + c);
        }
    }

    @Test
    void aPoolStepOnTheDeviceSelectsAndPrunesLikeTheCpu() throws IOException {
        int n = 300;
        InMemoryVectors v = new InMemoryVectors(planted(n, 3, 16, 2));
        Random rnd = new Random(3);
        Map<String, float[]> scores = new LinkedHashMap<>();
        for (String s : new String[]{"ppl", "el2n"}) {
            float[] col = new float[n];
            for (int i = 0; i < n; i++) col[i] = rnd.nextFloat();
            scores.put(s, col);
        }
        StepConfig config = StepConfig.defaults(30, 3).withSeed(5).withPoolCap(200);
        PoolStep.Outcome cpu = PoolStep.run(v, scores, config, 0, null, false, null, new CpuBackend());
        PoolStep.Outcome dev = PoolStep.run(v, scores, config, 0, null, false, null, CudaBackend.emulated());
        assertArrayEquals(cpu.clustering().labels(), dev.clustering().labels());
        assertArrayEquals(cpu.selection().selected(), dev.selection().selected());
        assertArrayEquals(cpu.pruning().kept(), dev.pruning().kept());
    }

    @Test
    void tokenScoresAndTheProjectionRunAsTheDevicesKernels() {
        CudaBackend device = CudaBackend.emulated();
        assertTrue(TokenScoring.OP.offeredBy(device) && GradientProjection.RADEMACHER.offeredBy(device));
        Random rnd = new Random(4);
        int rows = 37, vocab = 300;
        float[] logits = new float[rows * vocab];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (rnd.nextGaussian() * 3);
        long[] targets = new long[rows];
        for (int i = 0; i < rows; i++) targets[i] = i % 5 == 0 ? -100 : rnd.nextInt(vocab);
        Tensor x = Tensor.of(logits, rows, vocab), t = Tensor.ofLongs(targets, rows);
        TokenScores cpu = TokenScores.compute(x, t, -100), dev = TokenScoring.OP.on(device).compute(x, t, -100);
        Tolerance tol = new Tolerance(1e-5, 1e-5);
        tol.assertClose(cpu.nll(), dev.nll(), "nll");
        tol.assertClose(cpu.entropy(), dev.entropy(), "entropy");
        tol.assertClose(cpu.el2n(), dev.el2n(), "el2n");

        float[] g = new float[3 * 1000];
        for (int i = 0; i < g.length; i++) g[i] = (float) rnd.nextGaussian();
        Tensor grads = Tensor.of(g, 3, 1000);
        Tensor a = Tensor.zeros(3, 64), b = Tensor.zeros(3, 64);
        new RandomProjection().accumulate(grads, 500, 9, a);
        GradientProjection.Kind.DENSE.create(device).accumulate(grads, 500, 9, b);
        new Tolerance(1e-4, 1e-5).assertClose(a.toFloatArray(), b.toFloatArray(), "projection");
    }
}
