/*
 * One matrix product as cuBLAS takes it (cublasGemmEx, cublasGemmStridedBatchedEx): column-major, with transpose
 * flags, leading dimensions, batch strides and the element type of the inputs. PlannedGemm turns Backend.matmul into
 * these; a GemmEngine runs them (cuBLAS on a GPU, an OpenBLAS stand-in on the emulated device), so everything up to
 * the library call is the same code on both (docs/architecture.md, "CUDA backend").
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

/**
 * {@code C_i = op(A_i) op(B_i)} for {@code i < batch}, column-major: {@code op(A_i)} is [m, k], {@code op(B_i)} [k, n],
 * {@code C_i} [m, n] float32 with leading dimension ldc. Operand X_i starts at element {@code x.offset() + i * strideX}
 * of {@code x.storage()} (the tensors' shapes are not used). A and B hold {@code inputs} (F32 or BF16); products are
 * accumulated in float32, or with TF32 inputs on tensor cores when {@code compute} is TF32 (F32 inputs only). The
 * constructor enforces cuBLAS's argument rules, so a bad plan fails on the emulated device as it would on a GPU.
 */
public record GemmCall(boolean transA, boolean transB, int m, int n, int k,
                       Tensor a, int lda, long strideA, Tensor b, int ldb, long strideB,
                       Tensor c, int ldc, long strideC, int batch, DType inputs, Compute compute) {

    /** CUBLAS_COMPUTE_32F, or CUBLAS_COMPUTE_32F_FAST_TF32 (inputs rounded to 10 mantissa bits). */
    public enum Compute { FP32, TF32 }

    public GemmCall {
        if (m < 0 || n < 0 || k < 0 || batch < 1) {
            throw new IllegalArgumentException("GEMM sizes m " + m + ", n " + n + ", k " + k + ", batch " + batch);
        }
        if (inputs != DType.F32 && inputs != DType.BF16) throw new IllegalArgumentException("GEMM inputs " + inputs);
        if (compute == Compute.TF32 && inputs != DType.F32) throw new IllegalArgumentException("TF32 compute needs F32 inputs");
        if (a.dtype() != inputs || b.dtype() != inputs || c.dtype() != DType.F32) {
            throw new IllegalArgumentException("GEMM operands " + a.dtype() + " x " + b.dtype() + " -> " + c.dtype()
                    + " for " + inputs + " inputs");
        }
        if (lda < Math.max(1, transA ? k : m) || ldb < Math.max(1, transB ? n : k) || ldc < Math.max(1, m)) {
            throw new IllegalArgumentException("leading dimensions " + lda + ", " + ldb + ", " + ldc + " too small for "
                    + (transA ? "T" : "N") + (transB ? "T" : "N") + " m " + m + ", n " + n + ", k " + k);
        }
        if (batch > 1 && (strideA < 0 || strideB < 0 || strideC < (long) ldc * n)) {
            throw new IllegalArgumentException("batch strides " + strideA + ", " + strideB + ", " + strideC);
        }
    }
}
