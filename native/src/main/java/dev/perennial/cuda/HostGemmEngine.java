/*
 * The emulated device's GemmEngine: each GemmCall runs with the arguments cuBLAS would get, on OpenBLAS (the CPU
 * backend's Gemm) standing in for cublasGemmEx. BF16 inputs are widened exactly to float32 first: a product of two
 * BF16 values (8 significant bits each) is exact in float32, so this computes what GemmEx with BF16 inputs and
 * CUBLAS_COMPUTE_32F computes, up to the order of the float32 accumulation. With TF32 compute, float32 inputs are
 * first rounded to TF32 (10 explicit mantissa bits, to nearest even) — the emulated form of
 * CUBLAS_COMPUTE_32F_FAST_TF32, whose exact rounding only a GPU can confirm (docs/architecture.md, "CUDA backend").
 * A column-major C = op(A) op(B) is the row-major product Cᵀ = op(B)ᵀ op(A)ᵀ of the same memory, so OpenBLAS gets the
 * operands in swapped order; float32 inputs with FP32 compute are read in place.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Gemm;
import dev.perennial.tensor.OpenBlasGemm;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.ShortPointer;

/** Runs GemmCalls on the host's OpenBLAS (thread-safe: stateless; OpenBLAS calls are independent). */
final class HostGemmEngine implements GemmEngine {
    private static final int CHUNK = 1 << 16;      // elements converted per bulk copy
    private final Gemm gemm = OpenBlasGemm.INSTANCE;

    @Override
    public void run(GemmCall c) {
        boolean tf32 = c.compute() == GemmCall.Compute.TF32;
        // stored (rows, cols) of each column-major operand: op(A) [m, k] is A [m, k] or A [k, m] transposed
        try (Operand a = Operand.of(c.a(), c.transA() ? c.k() : c.m(), c.transA() ? c.m() : c.k(), c.lda(), c.strideA(), c.batch(), tf32);
             Operand b = Operand.of(c.b(), c.transB() ? c.n() : c.k(), c.transB() ? c.k() : c.n(), c.ldb(), c.strideB(), c.batch(), tf32)) {
            Storage cs = c.c().storage();
            for (int i = 0; i < c.batch(); i++) {
                gemm.sgemm(c.transB(), c.transA(), c.n(), c.m(), c.k(), 1f, b.storage, b.offset + (int) (i * c.strideB()), c.ldb(),
                        a.storage, a.offset + (int) (i * c.strideA()), c.lda(), 0f, cs, c.c().offset() + (int) (i * c.strideC()), c.ldc());
            }
        }
    }

    /** An operand as float32 storage: the tensor's own, or a converted copy of the span it occupies (closed after). */
    private record Operand(Storage storage, int offset, Tensor copy) implements AutoCloseable {
        static Operand of(Tensor t, int rows, int cols, int ld, long stride, int batch, boolean tf32) {
            if (t.dtype() == DType.F32 && !tf32) return new Operand(t.storage(), t.offset(), null);
            long span = rows == 0 || cols == 0 ? 0 : (batch - 1) * stride + (long) (cols - 1) * ld + rows;
            Tensor f = Tensor.empty(DType.F32, (int) Math.max(1, span));
            convert(t, span, f.storage());
            return new Operand(f.storage(), 0, f);
        }

        @Override
        public void close() { if (copy != null) copy.close(); }
    }

    // span elements of t from its first one into `to` as float32: BF16 widened exactly, F32 rounded to TF32. Read
    // through JavaCPP pointers, like a kernel, so the emulated device's host-access counts are not disturbed.
    private static void convert(Tensor t, long span, Storage to) {
        FloatPointer out = new FloatPointer(to.pointer());
        short[] halves = new short[CHUNK];
        int[] bits = new int[CHUNK];
        for (long i = 0; i < span; i += CHUNK) {
            int len = (int) Math.min(CHUNK, span - i);
            if (t.dtype() == DType.BF16) {
                new ShortPointer(t.storage().pointer()).position(t.offset() + i).get(halves, 0, len);
                for (int j = 0; j < len; j++) bits[j] = (halves[j] & 0xffff) << 16;
            } else {
                new IntPointer(t.storage().pointer()).position(t.offset() + i).get(bits, 0, len);
                for (int j = 0; j < len; j++) bits[j] = tf32(bits[j]);
            }
            float[] values = new float[len];
            for (int j = 0; j < len; j++) values[j] = Float.intBitsToFloat(bits[j]);
            out.position(i).put(values, 0, len);
        }
    }

    /** float32 bits rounded to TF32 (sign, 8 exponent bits, 10 mantissa bits), to nearest even; Inf/NaN unchanged. */
    static int tf32(int x) {
        if ((x & 0x7f800000) == 0x7f800000) return x;
        return (x + 0xfff + ((x >>> 13) & 1)) & 0xffffe000;
    }
}
