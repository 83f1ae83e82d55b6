/*
 * DeviceMemory on a GPU: every tensor the backend creates lives in CUDA managed memory (cudaMallocManaged), which
 * both the GPU and the host address, so Tensor code, host fallbacks and result reads work unchanged after
 * synchronize(). Host tensors given to a kernel (memory-mapped weights, arrays) are copied into managed memory
 * (input: converted and contiguous; resident: the whole storage, same view); read-only storages (checkpoint
 * weights) are copied once and cached. One stream per backend.
 *
 * Written against the org.bytedeco CUDA preset and used only after GpuProbe said a GPU is present. Not run here
 * (no GPU on these machines): the GPU-tagged tests in this module exercise it where a GPU exists.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.DeviceMemory;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMallocManaged;
import static org.bytedeco.cuda.global.cudart.cudaMemAttachGlobal;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

final class ManagedMemory implements DeviceMemory {
    private static final Cleaner CLEANER = Cleaner.create();

    private final CUstream_st stream = new CUstream_st();
    private final Map<Storage, Map<String, Tensor>> uploaded = new WeakHashMap<>();

    ManagedMemory() {
        check("cudaStreamCreate", cudaStreamCreate(stream));
    }

    /** One managed allocation; freed by a Cleaner once no Storage refers to it. */
    static final class Allocation {
        final Pointer pointer;

        Allocation(long bytes) {
            Pointer p = new Pointer();
            check("cudaMallocManaged", cudaMallocManaged(p, Math.max(bytes, 1), cudaMemAttachGlobal));
            this.pointer = p;
            Pointer toFree = new Pointer(p);
            CLEANER.register(this, () -> cudaFree(toFree));
        }
    }

    @Override
    public Tensor empty(DType dtype, int... shape) {
        long n = Shapes.numel(shape);
        Allocation a = new Allocation(n * dtype.byteSize());
        return Tensor.of(Storage.wrap(dtype, n, a.pointer, a), shape);
    }

    @Override
    public synchronized Tensor input(Tensor t, DType dtype) {
        if (t.dtype() == dtype && t.isContiguous() && t.storage().owner() instanceof Allocation) return t;
        Storage s = t.storage();
        String view = dtype + Arrays.toString(t.shape()) + Arrays.toString(t.strides()) + "@" + t.offset();
        if (s.isReadOnly()) {
            Tensor cached = uploaded.computeIfAbsent(s, k -> new java.util.HashMap<>()).get(view);
            if (cached != null) return cached;
        }
        synchronize();                                           // t may be the result of queued work
        Tensor host = (t.dtype() == dtype ? t : t.to(dtype)).contiguous();
        Tensor dev = empty(dtype, t.shape());
        dev.storage().bytes().put(host.storage().bytes().position(host.offset() * dtype.byteSize())
                .limit((host.offset() + (int) host.numel()) * dtype.byteSize()));
        if (s.isReadOnly()) uploaded.get(s).put(view, dev);
        return dev;
    }

    @Override
    public synchronized Tensor resident(Tensor t) {
        Storage s = t.storage();
        if (s.owner() instanceof Allocation) return t;
        Map<String, Tensor> cache = s.isReadOnly() ? uploaded.computeIfAbsent(s, k -> new java.util.HashMap<>()) : null;
        Tensor whole = cache == null ? null : cache.get("whole");
        if (whole == null) {
            synchronize();
            whole = empty(s.dtype(), s.length());
            whole.storage().bytes().put(s.bytes());
            if (cache != null) cache.put("whole", whole);
        }
        return Tensor.view(whole.storage(), t.shape(), t.strides(), t.offset());
    }

    @Override
    public Pointer stream() { return stream; }

    @Override
    public void synchronize() { check("cudaStreamSynchronize", cudaStreamSynchronize(stream)); }

    static void check(String call, int code) {
        if (code != 0) throw new IllegalStateException(call + " failed with CUDA error " + code);
    }
}
