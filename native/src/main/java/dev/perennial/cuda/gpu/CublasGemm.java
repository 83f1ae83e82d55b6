/*
 * DeviceGemm on a GPU: cuBLAS SGEMM on managed-memory operands. Row-major C[M, N] = A[M, K] B[K, N] is computed
 * as the column-major product Cᵀ = Bᵀ Aᵀ, so no operand is transposed in memory; a transposed view (a [N, K]
 * weight read as [K, N]) becomes CUBLAS_OP_T. A 2-D right operand under a batched left one folds the batch into M
 * (one GEMM); equal batch dims use the strided-batched call; other broadcasts are made contiguous first.
 * F16/BF16 operands are widened through ManagedMemory.input (cublasGemmEx on half data is the next step).
 *
 * Not run here (no GPU): GPU-tagged tests compare it with the CPU backend where a GPU exists.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.DeviceGemm;
import dev.perennial.cuda.DeviceMemory;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Tensor;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;

import java.util.Arrays;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSgemmStridedBatched;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;

final class CublasGemm implements DeviceGemm {
    private final DeviceMemory memory;
    private final cublasContext handle = new cublasContext();
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);

    CublasGemm(DeviceMemory memory) {
        this.memory = memory;
        ManagedMemory.check("cublasCreate", cublasCreate_v2(handle));
        ManagedMemory.check("cublasSetStream", cublasSetStream_v2(handle, (CUstream_st) memory.stream()));
    }

    @Override
    public synchronized Tensor matmul(Tensor a, Tensor b) {
        if (a.rank() < 2 || b.rank() < 2 || a.size(-1) != b.size(-2)) {
            throw new IllegalArgumentException("matmul shapes " + Arrays.toString(a.shape()) + " x " + Arrays.toString(b.shape()));
        }
        int m = a.size(-2), k = a.size(-1), n = b.size(-1);
        int[] batchA = Arrays.copyOf(a.shape(), a.rank() - 2), batchB = Arrays.copyOf(b.shape(), b.rank() - 2);
        int[] batch = Shapes.broadcast(batchA, batchB);
        int[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor out = memory.empty(DType.F32, outShape);
        if (out.numel() == 0) return out;
        boolean bTransposed = b.rank() == 2 && b.stride(0) == 1 && b.stride(1) == k;   // [N, K] weight viewed as [K, N]
        Tensor bb = b.rank() == 2 ? (bTransposed ? memory.input(b.transpose(0, 1), DType.F32) : memory.input(b, DType.F32)) : null;
        if (b.rank() == 2) {                                    // fold every batch dim of a into M
            Tensor aa = memory.input(a.expand(outShapeWith(outShape, m, k)), DType.F32);
            int rows = (int) (aa.numel() / k);
            ManagedMemory.check("cublasSgemm", cublasSgemm_v2(handle, bTransposed ? CUBLAS_OP_T : CUBLAS_OP_N, CUBLAS_OP_N,
                    n, rows, k, one, floats(bb), bTransposed ? k : n, floats(aa), k, zero, floats(out), n));
            memory.synchronize();                                // results are read by host code (DeviceKernels.check)
            return out;
        }
        Tensor aa = memory.input(a.expand(outShapeWith(outShape, m, k)), DType.F32);     // [batch..., M, K]
        Tensor b2 = memory.input(b.expand(outShapeWith(outShape, k, n)), DType.F32);     // [batch..., K, N]
        int count = (int) Shapes.numel(batch);
        ManagedMemory.check("cublasSgemmStridedBatched", cublasSgemmStridedBatched(handle, CUBLAS_OP_N, CUBLAS_OP_N,
                n, m, k, one, floats(b2), n, (long) k * n, floats(aa), k, (long) m * k, zero, floats(out), n,
                (long) m * n, count));
        memory.synchronize();
        return out;
    }

    private static int[] outShapeWith(int[] outShape, int rows, int cols) {
        int[] s = outShape.clone();
        s[s.length - 2] = rows;
        s[s.length - 1] = cols;
        return s;
    }

    private static FloatPointer floats(Tensor t) {
        return new FloatPointer(t.storage().pointer()).position(t.offset());
    }
}
