/*
 * The kernels of cuda/ with tensors in and out: shape checks, operand placement (DeviceMemory.input) and the
 * mapping from tensor shapes to launcher arguments, written once for every device. A DeviceKernels over the
 * emulated ABI and host memory is what the tests run (EmulatedDevice.kernels()); the CUDA backend uses one over
 * the nvcc build and managed memory on a GPU. Results are new contiguous tensors from DeviceMemory.empty. A
 * non-zero launcher code throws KernelLaunchException.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import java.util.Arrays;

public final class DeviceKernels {
    private static final int CUDA_ERROR_LAUNCH_FAILURE = 719;

    private final KernelAbi abi;
    private final DeviceMemory memory;

    public DeviceKernels(KernelAbi abi, DeviceMemory memory) {
        this.abi = abi;
        this.memory = memory;
    }

    public DeviceMemory memory() { return memory; }

    /**
     * Backend.softmax(x, scale, mask) by the softmax_rows kernel: x [..., cols]; mask null or broadcastable to x.
     * A mask whose shape, after dropping leading 1s, equals the trailing dims of x (a [T, T] mask for x
     * [B, H, T, T], a [1, cols] row) is read as is; any other broadcast is expanded first. An all -inf row gives
     * zeros.
     */
    public Tensor softmax(Tensor x, float scale, Tensor mask) {
        if (x.rank() < 1) throw new IllegalArgumentException("softmax needs rank >= 1, got a scalar");
        int cols = x.size(-1);
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        Tensor in = f32(x);
        Tensor m = mask == null ? null : f32(rowMask(mask, x.shape()));   // [maskRows, cols] repeating over rows
        Tensor out = memory.empty(DType.F32, x.shape());
        int maskRows = m == null ? 0 : (int) (m.numel() / Math.max(cols, 1));
        check("pn_softmax_rows", abi.softmaxRows(floats(in), m == null ? null : floats(m), floats(out),
                rows, cols, maskRows, scale, memory.stream()));
        return out;
    }

    /**
     * For each query row, the k keys of highest cosine similarity, by value then lower index:
     * queries [nq, d], keys [nk, d] -> values [nq, k] (F32) and indices [nq, k] (I64).
     * Zero vectors have similarity 0. k > nk, or (d + nk) floats beyond 48 KiB, is a KernelLaunchException
     * with code 1 (cudaErrorInvalidValue).
     */
    public Backend.TopK cosineTopk(Tensor queries, Tensor keys, int k) {
        if (queries.rank() != 2 || keys.rank() != 2 || queries.size(1) != keys.size(1)) {
            throw new IllegalArgumentException("cosineTopk expects queries [nq, d] and keys [nk, d], got "
                    + Arrays.toString(queries.shape()) + " and " + Arrays.toString(keys.shape()));
        }
        int nq = queries.size(0), nk = keys.size(0), d = queries.size(1);
        Tensor q = f32(queries), kt = f32(keys);
        Tensor values = memory.empty(DType.F32, nq, Math.max(k, 0));
        Tensor indices = memory.empty(DType.I32, nq, Math.max(k, 0));
        check("pn_cosine_topk", abi.cosineTopk(floats(q), floats(kt), nq, nk, d, k, ints(indices), floats(values),
                memory.stream()));
        memory.synchronize();
        return new Backend.TopK(values, indices.to(DType.I64));
    }

    // The mask as a tensor whose contiguous [maskRows, cols] rows repeat along the rows of x: itself when its
    // shape (after leading 1s) equals the trailing dims of x, else expanded to x's shape (a mask broadcast in a
    // middle dim, like [B, 1, 1, T, Tk] against scores [B, KV, g, T, Tk]).
    private static Tensor rowMask(Tensor mask, int[] xShape) {
        int[] s = mask.shape();
        if (s.length <= xShape.length && !fitsTrailing(s, xShape)) {
            int[] b = dev.perennial.tensor.Shapes.broadcast(s, xShape);
            if (Arrays.equals(b, xShape)) return mask.expand(xShape);
        }
        int lead = 0;
        while (lead < s.length && s[lead] == 1 && s.length - lead > 1) lead++;
        int[] core = Arrays.copyOfRange(s, lead, s.length);
        int[] tail = Arrays.copyOfRange(xShape, Math.max(0, xShape.length - core.length), xShape.length);
        if (core.length == 0 || core.length > xShape.length || !Arrays.equals(core, tail)) {
            throw new IllegalArgumentException("mask " + Arrays.toString(s) + " must equal the trailing dims of x "
                    + Arrays.toString(xShape) + " (after leading 1s)");
        }
        return mask;
    }

    private static boolean fitsTrailing(int[] s, int[] xShape) {
        int lead = 0;
        while (lead < s.length && s[lead] == 1 && s.length - lead > 1) lead++;
        int[] core = Arrays.copyOfRange(s, lead, s.length);
        return core.length <= xShape.length
                && Arrays.equals(core, Arrays.copyOfRange(xShape, xShape.length - core.length, xShape.length));
    }

    /** t as a contiguous F32 tensor the device can read (F16/BF16 inputs are widened). */
    Tensor f32(Tensor t) {
        if (!t.dtype().isFloating()) throw new IllegalArgumentException("expected a floating tensor, got " + t.dtype());
        return memory.input(t, DType.F32);
    }

    static FloatPointer floats(Tensor t) {
        return new FloatPointer(t.storage().pointer()).position(t.offset());
    }

    static IntPointer ints(Tensor t) {
        return new IntPointer(t.storage().pointer()).position(t.offset());
    }

    void check(String kernel, int code) {
        if (code != 0) {
            throw new KernelLaunchException(kernel, code, code == CUDA_ERROR_LAUNCH_FAILURE ? abi.lastMessage() : "");
        }
    }
}
