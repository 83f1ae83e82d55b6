/*
 * Optional native kernels of the CPU backend, found through java.util.ServiceLoader so that perennial-core stays
 * pure Java: perennial-native provides them (dev.perennial.cpu.NativeCpuKernels, AVX-512 with run-time dispatch),
 * and without it every product takes the OpenBLAS path. Four kernels: the one-row product of a decode step,
 * y = W·x with the weight W [rows, k] read in its stored precision (F32, BF16 or F16), which OpenBLAS's sgemv
 * streams more slowly and which for half weights otherwise needs a widened F32 copy of every tile
 * (docs/performance.md, "Decode kernels"; docs/architecture.md, "Tensors"); SiLU/SwiGLU, whose scalar e^x is the
 * costliest element-wise work of a small model's pass in Java ("Scoring throughput"); and one query row's attention
 * over the KV cache, the rest of a decode step's memory traffic (docs/kernels.md, "Attention on the CPU"); and products
 * of many rows with BF16 weights on AMX tiles (docs/kernels.md, "BF16 products on AMX tiles").
 *
 * -Dperennial.cpuKernels=none (or the environment variable PERENNIAL_CPU_KERNELS=none) turns them off, for
 * comparisons.
 */
package dev.perennial.tensor;

import java.util.Iterator;
import java.util.Locale;
import java.util.ServiceLoader;

/**
 * Native kernels the CPU backend uses when present: {@code gemv} computes rows [r0, r1) of y = W·x from raw
 * addresses, {@code swiglu} SwiGLU or SiLU over float32 arrays. {@code available()} is the provider found on the class path (null when none, or when switched off).
 * <p>Implementations must be thread-safe: the backend calls them from several threads at once on disjoint rows.
 */
public interface CpuKernels {
    /** A short name for logs and benchmarks (e.g. "avx512"). */
    String name();

    /**
     * y[r] = Σ_j W[r, j] · x[j] for r in [r0, r1), accumulated in float32.
     * @param wType   F32, BF16 or F16
     * @param w       address of W[0, 0]; row r starts at w + r · ld elements
     * @param x       address of x [k] (float32, contiguous)
     * @param y       address of y (float32); only rows [r0, r1) are written
     * @return false when this kernel does not handle the call (the caller falls back)
     */
    boolean gemv(DType wType, long w, long ld, long x, long y, int r0, int r1, int k);

    /**
     * out[i] = g[i]·σ(g[i])·u[i] for i in [0, n) over float32 arrays at raw addresses, σ(x) = 1/(1 + e^-x); u = 0 gives
     * SiLU, out[i] = g[i]·σ(g[i]). Within a few ulp of the same formula in double (NativeCpuKernelsTest).
     * @return false when this provider has no such kernel (the caller computes it in Java)
     */
    default boolean swiglu(long g, long u, long out, long n) {
        return false;
    }

    /**
     * Attention of one query row over n cached keys (a decode step): with s_j = scale · q·K[j], out = Σ_j
     * softmax(s)_j · V[j] and lse = log Σ_j e^(s_j). q, out, lse and scratch ([n], overwritten) are float32; K and V
     * rows are read in place in {@code kvType} (F32, BF16 or F16), row j at k + j·kLd (v + j·vLd) elements. n = 0
     * gives a zero row and lse = −∞. Within the attention test's bound of the double-precision reference
     * (CpuAttentionTest).
     * @return false when this provider has no such kernel (the caller uses its blocked path)
     */
    default boolean attendRow(DType kvType, long q, long k, long kLd, long v, long vLd, int n, int hd, float scale,
                              long scratch, long out, long lse) {
        return false;
    }

    /**
     * CpuAttention's row softmax in place over a block's scores [rows, ld] (float32 at address s): row r sees keys
     * [0, lim_r), lim_r = min(ld, firstLim + r) when causal, else ld; p_j = softmax(scale·s)_j there, 0 after; lse[r] =
     * max + ln Σ (−∞ and a zero row when it sees no key; NaN propagates).
     * @return false when this provider has no such kernel (the caller runs its Java loop)
     */
    default boolean softmaxRows(long s, int ld, int rows, boolean causal, int firstLim, float scale, long lse) {
        return false;
    }

    /**
     * CpuAttention's backward rows in place over a block (float32 [rows, ld] at s holding S = Q·Kᵀ and at dp holding
     * dP = dO·Vᵀ): for the keys [0, lim_r) row r sees (as in softmaxRows), P = e^(scale·S − lse_r) into s and
     * dS = scale·P·(dP − d_r) into dp, both 0 after lim_r; a row with lse_r = −∞ is 0 throughout. lse and d are
     * [rows] floats (d_r = dO_r·O_r).
     * @return false when this provider has no such kernel (the caller runs its Java loop)
     */
    default boolean attentionBackwardRows(long s, long dp, int ld, int rows, boolean causal, int firstLim, float scale,
                                          long lse, long d) {
        return false;
    }

    /** Whether {@code gemmBf16} runs here (e.g. the CPU has AMX tiles and the OS granted them). */
    default boolean hasBf16Gemm() {
        return false;
    }

    /**
     * Columns [j0, j1) of Y = bf16(X)·Wᵀ ({@code wTransposed}: W bfloat16 [n, k], a weight [out, in] as stored, as in a
     * linear layer's forward) or Y = bf16(X)·W (W bfloat16 [k, n], as in its input gradient dy·W): X float32 [m, k]
     * (row stride ldx) rounded to bfloat16, W row stride ldw, Y float32 (row stride ldy); products exact, accumulated
     * in float32, so within 2⁻⁹·Σ|X W| plus float32 accumulation of the product with X as given. Only W's columns
     * [j0, j1) of the product are read and only Y columns [j0, j1) written.
     * @return false when this provider has no such kernel
     */
    default boolean gemmBf16(boolean wTransposed, long x, long ldx, long w, long ldw, long y, long ldy, int m, int k, int j0, int j1) {
        return false;
    }

    /** The kernels found on the class path, or null (none, or switched off by perennial.cpuKernels=none). */
    static CpuKernels available() {
        return Holder.KERNELS;
    }

    /** Lazy, once-per-JVM lookup. */
    final class Holder {
        private Holder() {}

        static final CpuKernels KERNELS = find();

        private static CpuKernels find() {
            String off = System.getProperty("perennial.cpuKernels", System.getenv().getOrDefault("PERENNIAL_CPU_KERNELS", ""));
            if (off.toLowerCase(Locale.ROOT).equals("none")) return null;
            try {
                Iterator<CpuKernels> it = ServiceLoader.load(CpuKernels.class, CpuKernels.class.getClassLoader()).iterator();
                while (it.hasNext()) {
                    try {
                        return it.next();
                    } catch (java.util.ServiceConfigurationError | LinkageError e) {
                        // a provider whose native library cannot load on this platform: use the Java paths
                    }
                }
            } catch (java.util.ServiceConfigurationError | LinkageError e) {
                return null;
            }
            return null;
        }
    }
}
