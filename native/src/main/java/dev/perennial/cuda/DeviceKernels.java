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

    // ------------------------------------------------- ADAPT-∞ sample vectors and clustering (adapt-inf.md §2.4-3)

    /**
     * The Rademacher projection of dev.perennial.select.RandomProjection by the random_projection kernel:
     * x [n, d] -> [n, k] (F32) with out[i, c] = Σ_j x[i, j] · RademacherSigns.sign(seed, rowOffset + j, c).
     */
    public Tensor rademacherProject(Tensor x, long rowOffset, int k, long seed) {
        requireMatrix("rademacherProject", "x", x);
        if (k < 0 || rowOffset < 0) {
            throw new IllegalArgumentException("rademacherProject needs k >= 0 and rowOffset >= 0, got k=" + k
                    + " rowOffset=" + rowOffset);
        }
        Tensor in = f32(x);
        Tensor out = memory.empty(DType.F32, x.size(0), k);
        check("pn_rademacher_project", abi.rademacherProject(floats(in), x.size(0), x.size(1), k, seed, rowOffset, 0,
                floats(out), memory.stream()));
        return out;
    }

    /**
     * out [n, k] += x [n, d] · R[rowOffset .. rowOffset + d - 1, :] in place, for projecting a gradient chunk by
     * chunk. out must be a contiguous F32 tensor in device memory (a result of this class, or any host tensor on
     * the emulated device).
     */
    public void rademacherProjectAccumulate(Tensor x, long rowOffset, long seed, Tensor out) {
        requireMatrix("rademacherProjectAccumulate", "x", x);
        requireDeviceMatrix("rademacherProjectAccumulate", "out", out);
        if (out.size(0) != x.size(0) || rowOffset < 0) {
            throw new IllegalArgumentException("rademacherProjectAccumulate expects x [n, d], out [n, k] and "
                    + "rowOffset >= 0, got " + Arrays.toString(x.shape()) + ", " + Arrays.toString(out.shape()) + ", "
                    + rowOffset);
        }
        Tensor in = f32(x);
        check("pn_rademacher_project", abi.rademacherProject(floats(in), x.size(0), x.size(1), out.size(1), seed,
                rowOffset, 1, floats(out), memory.stream()));
    }

    /**
     * Scales every row of x [n, k] to unit L2 norm in place (zero rows stay zero, never NaN). x must be a
     * contiguous F32 tensor in device memory.
     */
    public void l2NormalizeRowsInPlace(Tensor x) {
        requireDeviceMatrix("l2NormalizeRowsInPlace", "x", x);
        check("pn_l2_normalize_rows", abi.l2NormalizeRows(floats(x), x.size(0), x.size(1), memory.stream()));
    }

    /** labels [n] (I32) and squared distances [n] (F32) of each point's nearest centroid. */
    public record NearestCentroids(Tensor labels, Tensor distances) {}

    /**
     * k-means assignment (dev.perennial.select.KMeansAssignment's rule): for x [n, d] and centroids [K, d], the
     * nearest centroid of every point (ties to the lower index; a point containing NaN gets label 0 and distance
     * NaN). K = 0 or d = 0 is a KernelLaunchException with code 1.
     */
    public NearestCentroids kmeansAssign(Tensor x, Tensor centroids) {
        if (x.rank() != 2 || centroids.rank() != 2 || x.size(1) != centroids.size(1)) {
            throw new IllegalArgumentException("kmeansAssign expects x [n, d] and centroids [K, d], got "
                    + Arrays.toString(x.shape()) + " and " + Arrays.toString(centroids.shape()));
        }
        int n = x.size(0);
        Tensor xs = f32(x), cs = f32(centroids);
        Tensor labels = memory.empty(DType.I32, n), distances = memory.empty(DType.F32, n);
        check("pn_kmeans_assign", abi.kmeansAssign(floats(xs), floats(cs), n, x.size(1), centroids.size(0),
                ints(labels), floats(distances), memory.stream()));
        return new NearestCentroids(labels, distances);
    }

    private static void requireMatrix(String op, String name, Tensor t) {
        if (t.rank() != 2) {
            throw new IllegalArgumentException(op + " expects " + name + " as a matrix, got "
                    + Arrays.toString(t.shape()));
        }
    }

    // A tensor a kernel writes in place: it must be the device tensor itself, not a converted copy.
    private void requireDeviceMatrix(String op, String name, Tensor t) {
        requireMatrix(op, name, t);
        if (t.dtype() != DType.F32 || memory.input(t, DType.F32) != t) {
            throw new IllegalArgumentException(op + " writes " + name + " in place: it must be a contiguous F32 "
                    + "tensor in device memory, got " + t);
        }
    }
}
