/*
 * Backend.matmul on a CUDA device, planned once for every device onto cuBLAS-style calls (GemmCall) that a GemmEngine
 * runs: cublasGemmEx on a GPU (gpu.CublasGemm), OpenBLAS with the same arguments on the emulated device
 * (HostGemmEngine). The plan — layouts, transposes, leading dimensions, batch folding, element types — is this one
 * class, so the emulated device's tests exercise the calls a GPU makes; only the engine differs.
 *
 * Row-major C[M, N] = A[M, K] B[K, N] is the column-major product Cᵀ = Bᵀ Aᵀ, so no operand is transposed in memory:
 *  - a 2-D right operand (a weight) against [..., M, K] activations folds the batch into M: one GEMM. The weight is
 *    read in place as a row-major [K, N] (op N) or as the transposed view of a row-major [N, K] (op T: the x·Wᵀ of
 *    every linear layer), with its own leading dimension;
 *  - a BF16 weight stays BF16 (DeviceMemory.resident: on a GPU the checkpoint's 2 bytes per weight). cuBLAS takes
 *    one input type for both operands, so F32 activations are split exactly into three BF16 parts (bf16x3.h:
 *    x = hi + mid + lo), stacked along M; one GEMM with BF16 inputs and FP32 accumulation (CUBLAS_COMPUTE_32F)
 *    multiplies all three by the weight, which is read once, and the three products are summed. A BF16 x BF16
 *    product is exact in FP32, so the result is W·x to FP32 accumulation error — Backend.matmul's contract, the
 *    same as SGEMM on the widened weight — at 3x the tensor-core FLOPs but no extra weight bytes. BF16 activations
 *    are used as they are (one part);
 *  - other products (batched right operands, F16 operands, BF16 outside the weight position): both operands widened
 *    to contiguous F32 over the broadcast batch, one strided-batched GEMM;
 *  - F32 x F32 products accumulate in FP32, or use TF32 tensor cores (inputs rounded to 10 mantissa bits) when the
 *    device was made with tf32: an opt-in accuracy trade (-Dperennial.cuda.tf32=true), never the default.
 * docs/architecture.md, "CUDA backend"; docs/kernels.md, "bf16x3".
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Tensor;

import java.util.Arrays;

/**
 * Backend.matmul over a {@link GemmEngine}: any strided views, broadcast batch dims, F32/F16/BF16 operands, a new
 * contiguous F32 result in device memory. Thread-safe when the engine is (no state of its own).
 */
public final class PlannedGemm implements DeviceGemm {
    private final DeviceKernels kernels;
    private final DeviceMemory memory;
    private final GemmEngine engine;
    private final boolean tf32;

    /** @param tf32 let F32 x F32 products use TF32 tensor-core compute (inputs rounded to 10 mantissa bits) */
    public PlannedGemm(DeviceKernels kernels, GemmEngine engine, boolean tf32) {
        this.kernels = kernels;
        this.memory = kernels.memory();
        this.engine = engine;
        this.tf32 = tf32;
    }

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2 || a.size(-1) != b.size(-2)) {
            throw new IllegalArgumentException("matmul shapes " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()));
        }
        if (!a.dtype().isFloating() || !b.dtype().isFloating()) throw new IllegalArgumentException("matmul of non-float tensors");
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        int[] batch = Shapes.broadcast(Arrays.copyOf(a.shape(), a.rank() - 2), Arrays.copyOf(b.shape(), b.rank() - 2));
        int[] outShape = last2(batch, m, n);
        if (Shapes.numel(outShape) == 0) return memory.empty(DType.F32, outShape);
        if (k == 0) return memory.zeros(DType.F32, outShape);
        Tensor x = a.expand(last2(batch, m, k));                                     // [batch..., M, K]
        return b.rank() == 2 ? weightProduct(x, b, outShape) : batchedProduct(x, b.expand(last2(batch, k, n)), outShape);
    }

    // x [..., M, K] · w [K, N]: one GEMM over rows = numel(x) / K.
    private Tensor weightProduct(Tensor x, Tensor w, int[] outShape) {
        int k = w.size(0), n = w.size(1), rows = (int) (Shapes.numel(outShape) / n);
        if (w.dtype() != DType.BF16) {
            Tensor out = memory.empty(DType.F32, outShape);
            engine.run(weightCall(weight(w, DType.F32), kernels.f32(x), rows, k, n, out, DType.F32));
            return out;
        }
        Operand wb = weight(w, DType.BF16);
        if (x.dtype() == DType.BF16) {
            Tensor out = memory.empty(DType.F32, outShape);
            engine.run(weightCall(wb, dense(x, DType.BF16), rows, k, n, out, DType.BF16));
            return out;
        }
        Tensor parts = kernels.bf16x3Split(kernels.f32(x));                     // [3, ..., M, K]: hi, mid, lo
        Tensor products = memory.empty(DType.F32, 3, rows, n);                  // [3, rows, N]
        try {
            engine.run(weightCall(wb, parts, 3 * rows, k, n, products, DType.BF16));
            return kernels.bf16x3Sum(products).reshape(outShape);
        } finally {
            parts.close();
            products.close();
        }
    }

    // x [batch..., M, K] · y [batch..., K, N], both expanded to the broadcast batch: one strided-batched GEMM in F32.
    private Tensor batchedProduct(Tensor x, Tensor y, int[] outShape) {
        int m = x.size(-2), k = x.size(-1), n = y.size(-1), count = (int) (Shapes.numel(outShape) / ((long) m * n));
        Tensor xs = kernels.f32(x), ys = kernels.f32(y), out = memory.empty(DType.F32, outShape);
        engine.run(new GemmCall(false, false, n, m, k, ys, n, (long) k * n, xs, k, (long) m * k, out, n, (long) m * n,
                count, DType.F32, compute(DType.F32)));
        return out;
    }

    // Column-major Cᵀ [N, rows] = op(W) [N, K] · Xᵀ [K, rows], with X row-major [rows, K].
    private GemmCall weightCall(Operand w, Tensor x, int rows, int k, int n, Tensor out, DType inputs) {
        return new GemmCall(w.trans(), false, n, rows, k, w.t(), w.ld(), 0, x, k, 0, out, n, 0, 1, inputs, compute(inputs));
    }

    private GemmCall.Compute compute(DType inputs) {
        return tf32 && inputs == DType.F32 ? GemmCall.Compute.TF32 : GemmCall.Compute.FP32;
    }

    /** A weight as cuBLAS's first operand: the tensor at its first element, op T or N, and its leading dimension. */
    private record Operand(Tensor t, boolean trans, int ld) {}

    // w [K, N] in place (on device-accessible storage, dtype kept) when it is a row-major [K, N] (op N) or the
    // transposed view of a row-major [N, K] (op T) with a usable leading dimension; else a row-major copy in `type`.
    private Operand weight(Tensor w, DType type) {
        int rows = w.size(0), cols = w.size(1), sr = w.stride(0), sc = w.stride(1);
        if (w.dtype() == type) {
            if ((cols <= 1 || sc == 1) && (rows <= 1 || sr >= Math.max(1, cols))) {
                return new Operand(memory.resident(w), false, rows <= 1 ? Math.max(1, cols) : sr);
            }
            if ((rows <= 1 || sr == 1) && (cols <= 1 || sc >= Math.max(1, rows))) {
                return new Operand(memory.resident(w), true, cols <= 1 ? Math.max(1, rows) : sc);
            }
        }
        return new Operand(dense(w, type), false, Math.max(1, cols));
    }

    // t as a contiguous device tensor of dtype type: F32 (converted on the device when t is there), or t's own BF16.
    private Tensor dense(Tensor t, DType type) {
        if (type == DType.F32) return kernels.f32(t);
        return memory.holds(t) && t.rank() <= 6 ? kernels.contiguous(t) : memory.input(t, type);
    }

    private static int[] last2(int[] batch, int rows, int cols) {
        int[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = rows;
        s[batch.length + 1] = cols;
        return s;
    }
}
