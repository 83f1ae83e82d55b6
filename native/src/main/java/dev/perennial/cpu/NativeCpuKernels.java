/*
 * The CPU backend's native kernels (core's CpuKernels SPI, registered in META-INF/services): the one-row product of a
 * decode step in the weight's stored precision (pn_cpu.h; docs/performance.md, "Decode kernels") and SiLU/SwiGLU
 * (pn_cpu_act.h; "Scoring throughput") and one query row's attention over a KV cache (pn_cpu_attn.h; docs/kernels.md,
 * "Attention on the CPU") and products with BF16 weights on AMX tiles (pn_cpu_amx.h; "BF16 products on AMX tiles"),
 * AVX-512 and AMX with run-time dispatch. Loading the JNI library happens when ServiceLoader instantiates this class; where it cannot
 * load (another platform), core's lookup skips the provider and keeps its Java/OpenBLAS paths.
 */
package dev.perennial.cpu;

import dev.perennial.tensor.CpuKernels;
import dev.perennial.tensor.DType;

/**
 * {@link CpuKernels} over {@link CpuKernelsBinding}: one-row products of F32, BF16 and F16 weights; SiLU and SwiGLU;
 * decode attention rows.
 * <p>Thread-safe: stateless; calls on disjoint output rows may run concurrently.
 */
public final class NativeCpuKernels implements CpuKernels {
    /** Loads the native library (ServiceLoader calls this; a failure makes core skip the provider). */
    public NativeCpuKernels() {
        CpuKernelsBinding.pn_cpu_path(0);
    }

    @Override
    public String name() {
        return "native " + CpuKernelsBinding.pn_cpu_path(0) + " (bf16: " + CpuKernelsBinding.pn_cpu_path(1) + (AMX ? ", amx" : "") + ")";
    }

    @Override
    public boolean gemv(DType wType, long w, long ld, long x, long y, int r0, int r1, int k) {
        int code = switch (wType) {
            case F32 -> 0;
            case BF16 -> 1;
            case F16 -> 2;
            default -> -1;
        };
        if (code < 0) return false;
        if (r0 == r1) return true;
        int err = CpuKernelsBinding.pn_cpu_gemv(code, w, ld, x, y, r0, r1, k);
        if (err != 0) throw new IllegalArgumentException("pn_cpu_gemv refused rows [" + r0 + ", " + r1 + ") of a [" + k + "]-wide " + wType + " product");
        return true;
    }

    @Override
    public boolean attendRow(DType kvType, long q, long k, long kLd, long v, long vLd, int n, int hd, float scale,
                             long scratch, long out, long lse) {
        int code = switch (kvType) {
            case F32 -> 0;
            case BF16 -> 1;
            case F16 -> 2;
            default -> -1;
        };
        if (code < 0) return false;
        if (CpuKernelsBinding.pn_cpu_attend_row(code, q, k, kLd, v, vLd, n, hd, scale, scratch, out, lse) != 0) {
            throw new IllegalArgumentException("pn_cpu_attend_row refused " + n + " keys of head dim " + hd);
        }
        return true;
    }

    @Override
    public boolean softmaxRows(long s, int ld, int rows, boolean causal, int firstLim, float scale, long lse) {
        return CpuKernelsBinding.pn_cpu_softmax_rows(s, ld, rows, causal ? 1 : 0, firstLim, scale, lse) == 0;
    }

    @Override
    public boolean attentionBackwardRows(long s, long dp, int ld, int rows, boolean causal, int firstLim, float scale,
                                         long lse, long d) {
        return CpuKernelsBinding.pn_cpu_attn_backward_rows(s, dp, ld, rows, causal ? 1 : 0, firstLim, scale, lse, d) == 0;
    }

    private static final boolean AMX = CpuKernelsBinding.pn_cpu_amx_available() == 1;

    @Override
    public boolean hasBf16Gemm() {
        return AMX;
    }

    @Override
    public boolean gemmBf16(boolean wTransposed, long x, long ldx, long w, long ldw, long y, long ldy, int m, int k, int j0, int j1) {
        if (!AMX) return false;
        if (CpuKernelsBinding.pn_cpu_gemm_bf16(wTransposed ? 1 : 0, x, ldx, w, ldw, y, ldy, m, k, j0, j1) != 0) {
            throw new IllegalArgumentException("pn_cpu_gemm_bf16 refused [" + m + ", " + k + "] x columns [" + j0 + ", " + j1 + ")");
        }
        return true;
    }

    @Override
    public boolean swiglu(long g, long u, long out, long n) {
        if (CpuKernelsBinding.pn_cpu_swiglu(g, u, out, n) != 0) throw new IllegalArgumentException("pn_cpu_swiglu refused " + n + " elements");
        return true;
    }
}
