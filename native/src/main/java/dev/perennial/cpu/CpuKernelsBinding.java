/*
 * JavaCPP binding of the native CPU kernels (native/src/main/cpp/pn_cpu.h, pn_cpu_act.h, pn_cpu_attn.h and pn_cpu_amx.h,
 * header-only, compiled into
 * libjniCpuKernelsBinding by native/pom.xml's JavaCPP build). Addresses travel as integers: the Java side owns the
 * memory (tensor storages) and the kernels only read W and x and write y.
 */
package dev.perennial.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The raw C functions of pn_cpu.h, pn_cpu_act.h and pn_cpu_attn.h: {@code pn_cpu_gemv} (rows [r0, r1) of y = W·x;
 * dtype 0 F32, 1 BF16, 2 F16; returns 0, or 1 for bad arguments), {@code pn_cpu_swiglu} (SwiGLU or SiLU over float32
 * arrays), {@code pn_cpu_attend_row} (one query row's attention over cached keys and values), {@code pn_cpu_gemm_bf16}
 * (products with BF16 weights on AMX tiles) and
 * {@code pn_cpu_path} (the path a dtype takes on this CPU).
 * <p>Thread-safe: the functions keep no state beyond a CPU-feature check computed once.
 */
@Platform(value = "linux-x86_64", include = {"pn_cpu.h", "pn_cpu_act.h", "pn_cpu_attn.h", "pn_cpu_amx.h"})
public final class CpuKernelsBinding {
    static { Loader.load(); }

    private CpuKernelsBinding() {}

    /** pn_cpu_gemv: y[r] = Σ_j W[r, j] x[j] for r in [r0, r1). */
    public static native int pn_cpu_gemv(int dtype, long w, long ld, long x, long y, int r0, int r1, int k);

    /** pn_cpu_swiglu (pn_cpu_act.h): out[i] = g[i]·σ(g[i])·u[i] for i in [0, n), or SiLU when u is 0. */
    public static native int pn_cpu_swiglu(long g, long u, long out, long n);

    /** pn_cpu_attend_row (pn_cpu_attn.h): softmax(scale·q·Kᵀ)·V of one query row over n keys, and its log-sum-exp. */
    public static native int pn_cpu_attend_row(int dtype, long q, long k, long kLd, long v, long vLd, int n, int hd,
                                               float scale, long scratch, long out, long lse);

    /** pn_cpu_softmax_rows (pn_cpu_attn.h): a block's score rows to softmax in place, with their log-sum-exp. */
    public static native int pn_cpu_softmax_rows(long s, int ld, int rows, int causal, int firstLim, float scale, long lse);

    /** pn_cpu_attn_backward_rows (pn_cpu_attn.h): a backward block's P and dS rows in place from S, dP, lse and D. */
    public static native int pn_cpu_attn_backward_rows(long s, long dp, int ld, int rows, int causal, int firstLim, float scale,
                                                       long lse, long d);

    /** pn_cpu_amx_available (pn_cpu_amx.h): 1 when AMX-BF16 tiles can run in this process. */
    public static native int pn_cpu_amx_available();

    /** pn_cpu_gemm_bf16 (pn_cpu_amx.h): Y[:, j0:j1] = bf16(X) · W[j0:j1]ᵀ (wTrans 1, W bfloat16 [n, k]) or bf16(X) · W[:, j0:j1] (0, W [k, n]). */
    public static native int pn_cpu_gemm_bf16(int wTrans, long x, long ldx, long w, long ldw, long y, long ldy, int m, int k, int j0, int j1);

    /** pn_cpu_path: "avx512", "avx512-bf16-dot" or "scalar". */
    public static native String pn_cpu_path(int dtype);
}
