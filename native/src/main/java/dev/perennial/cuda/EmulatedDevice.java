/*
 * The kernels of cuda/ run on the emulated device (CPU fibers, simt_emu.h), with tensors in and out: the
 * facade tests and, later, the CUDA backend's emulated mode use. Tensor storage is already off-heap, so
 * inputs are handed to the launchers in place (FloatPointer at the storage address + offset); only
 * non-contiguous inputs are copied first. Results are new contiguous tensors. A non-zero launcher code throws
 * KernelLaunchException. Thread-safe: each calling thread runs its own launches.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

import java.util.Arrays;

public final class EmulatedDevice {
    private static final int CUDA_ERROR_LAUNCH_FAILURE = 719;

    private EmulatedDevice() {}

    /** Run order of the fibers of a block for all later launches (process-wide). */
    public static void setFiberOrder(FiberOrder order) {
        EmuKernels.pn_emu_set_order(order == FiberOrder.REVERSE ? 1 : 0);
    }

    /**
     * Backend.softmax(x, scale, mask) by the softmax_rows kernel: x [..., cols] F32; mask null or F32 whose shape,
     * after dropping leading 1s, equals the trailing dims of x (a [T, T] mask for x [B, H, T, T], a [1, cols] row).
     * An all -inf row gives zeros.
     */
    public static Tensor softmax(Tensor x, float scale, Tensor mask) {
        requireF32("x", x);
        if (x.rank() < 1) throw new IllegalArgumentException("softmax needs rank >= 1, got a scalar");
        int cols = x.size(-1);
        int rows = cols == 0 ? 0 : (int) (x.numel() / cols);
        Tensor in = x.contiguous();
        Tensor m = mask == null ? null : rowMask(mask, x.shape());
        Tensor out = Tensor.empty(DType.F32, x.shape());
        int maskRows = m == null ? 0 : (int) (m.numel() / Math.max(cols, 1));
        check("pn_softmax_rows", EmuKernels.pn_softmax_rows(floats(in), m == null ? null : floats(m), floats(out),
                rows, cols, maskRows, scale, null));
        return out;
    }

    /**
     * For each query row, the k keys of highest cosine similarity, by value then lower index:
     * queries [nq, d], keys [nk, d] (F32) -> values [nq, k] (F32) and indices [nq, k] (I64).
     * Zero vectors have similarity 0. k > nk, or (d + nk) floats beyond 48 KiB, is a KernelLaunchException
     * with code 1 (cudaErrorInvalidValue).
     */
    public static Backend.TopK cosineTopk(Tensor queries, Tensor keys, int k) {
        requireF32("queries", queries);
        requireF32("keys", keys);
        if (queries.rank() != 2 || keys.rank() != 2 || queries.size(1) != keys.size(1)) {
            throw new IllegalArgumentException("cosineTopk expects queries [nq, d] and keys [nk, d], got "
                    + Arrays.toString(queries.shape()) + " and " + Arrays.toString(keys.shape()));
        }
        int nq = queries.size(0), nk = keys.size(0), d = queries.size(1);
        Tensor q = queries.contiguous(), kt = keys.contiguous();
        Tensor values = Tensor.empty(DType.F32, nq, k < 0 ? 0 : k);
        Tensor indices = Tensor.empty(DType.I32, nq, k < 0 ? 0 : k);
        check("pn_cosine_topk", EmuKernels.pn_cosine_topk(floats(q), floats(kt), nq, nk, d, k,
                new IntPointer(indices.storage().pointer()).position(indices.offset()), floats(values), null));
        return new Backend.TopK(values, indices.to(DType.I64));
    }

    // The mask as a contiguous [maskRows, cols] matrix whose row r % maskRows belongs to row r of x.
    private static Tensor rowMask(Tensor mask, int[] xShape) {
        requireF32("mask", mask);
        int[] s = mask.shape();
        int lead = 0;
        while (lead < s.length && s[lead] == 1 && s.length - lead > 1) lead++;
        int[] core = Arrays.copyOfRange(s, lead, s.length);
        int[] tail = Arrays.copyOfRange(xShape, Math.max(0, xShape.length - core.length), xShape.length);
        if (core.length == 0 || core.length > xShape.length || !Arrays.equals(core, tail)) {
            throw new IllegalArgumentException("mask " + Arrays.toString(s) + " must equal the trailing dims of x "
                    + Arrays.toString(xShape) + " (after leading 1s)");
        }
        return mask.contiguous();
    }

    private static FloatPointer floats(Tensor t) {
        return new FloatPointer(t.storage().pointer()).position(t.offset());
    }

    private static void requireF32(String name, Tensor t) {
        if (t.dtype() != DType.F32) throw new IllegalArgumentException(name + " must be F32, got " + t.dtype());
    }

    private static void check(String kernel, int code) {
        if (code != 0) {
            throw new KernelLaunchException(kernel, code,
                    code == CUDA_ERROR_LAUNCH_FAILURE ? EmuKernels.pn_emu_last_message() : "");
        }
    }
}
