/*
 * The GPU's GemmEngine: each GemmCall planned by PlannedGemm becomes one cublasGemmEx (batch 1) or
 * cublasGemmStridedBatchedEx call on managed-memory operands, with CUDA_R_32F or CUDA_R_16BF inputs, a CUDA_R_32F
 * output and CUBLAS_COMPUTE_32F (CUBLAS_COMPUTE_32F_FAST_TF32 when the plan asks for TF32), default algorithm.
 * BF16 weights are therefore read in their stored precision (the plan splits F32 activations into three exact BF16
 * parts, bf16x3.h), not widened to an F32 copy.
 *
 * Not run here (no GPU): the plan and its arguments are exercised on the emulated device (HostGemmEngine takes the
 * same calls); what only a GPU can confirm — tensor-core accumulation order and rounding, TF32 input rounding,
 * BF16 subnormal handling, speed — is listed in docs/architecture.md, "CUDA backend". GPU-tagged tests compare the
 * backend with the CPU backend where a GPU exists.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.DeviceMemory;
import dev.perennial.cuda.GemmCall;
import dev.perennial.cuda.GemmEngine;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cublas.cublasGemmStridedBatchedEx;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;

final class CublasGemm implements GemmEngine {
    private final DeviceMemory memory;
    private final cublasContext handle = new cublasContext();
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);

    CublasGemm(DeviceMemory memory) {
        this.memory = memory;
        ManagedMemory.check("cublasCreate", cublasCreate_v2(handle));
        ManagedMemory.check("cublasSetStream", cublasSetStream_v2(handle, (CUstream_st) memory.stream()));
    }

    @Override
    public synchronized void run(GemmCall c) {
        int type = c.inputs() == DType.BF16 ? CUDA_R_16BF : CUDA_R_32F;
        int compute = c.compute() == GemmCall.Compute.TF32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
        int opA = c.transA() ? CUBLAS_OP_T : CUBLAS_OP_N, opB = c.transB() ? CUBLAS_OP_T : CUBLAS_OP_N;
        if (c.batch() == 1) {
            ManagedMemory.check("cublasGemmEx", cublasGemmEx(handle, opA, opB, c.m(), c.n(), c.k(), one,
                    at(c.a()), type, c.lda(), at(c.b()), type, c.ldb(), zero, at(c.c()), CUDA_R_32F, c.ldc(),
                    compute, CUBLAS_GEMM_DEFAULT));
        } else {
            ManagedMemory.check("cublasGemmStridedBatchedEx", cublasGemmStridedBatchedEx(handle, opA, opB, c.m(), c.n(),
                    c.k(), one, at(c.a()), type, c.lda(), c.strideA(), at(c.b()), type, c.ldb(), c.strideB(), zero,
                    at(c.c()), CUDA_R_32F, c.ldc(), c.strideC(), c.batch(), compute, CUBLAS_GEMM_DEFAULT));
        }
        memory.synchronize();                                    // results are read by host code (DeviceKernels.check)
    }

    // The operand's first element as an untyped device pointer.
    private static Pointer at(Tensor t) {
        return new BytePointer(t.storage().pointer()).position((long) t.offset() * t.dtype().byteSize());
    }
}
