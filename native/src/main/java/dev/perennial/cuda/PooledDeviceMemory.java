/*
 * DeviceMemory kept apart from the host, over a caching allocator (DevicePool): the memory of the emulated
 * device (host memory standing in for device memory) and, over cudaMallocManaged, of a GPU (ManagedMemory).
 * Device tensors are ordinary Tensors whose Storage this object owns (Storage.adopt), so model code runs
 * unchanged; what crosses between host and device is counted (DeviceTraffic), which is how the residency tests
 * see, on a machine without a GPU, what a GPU would transfer (docs/architecture.md, "Device residency"):
 *  - copies in: a host tensor a kernel reads (input: converted and contiguous; resident: the whole storage under
 *    the same view) or that Backend.place uploads. Read-only host storages (memory-mapped weights, frozen
 *    constants and masks) are copied once and the copy is kept while the host storage lives;
 *  - host accesses: Java code reading or writing a device tensor's elements through Storage's buffers (a copy
 *    out; on a GPU, managed pages migrating to the host). Kernels use pointers and are not counted;
 *  - raw device allocations (DevicePool.allocations()).
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Shapes;
import dev.perennial.tensor.Storage;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

public final class PooledDeviceMemory implements DeviceMemory, Storage.HostAccessObserver {
    /** The device side: raw allocation, zero fill and host-to-device copy of bytes. */
    public interface Device extends DevicePool.Raw {
        void zero(long address, long bytes);

        void copyIn(long deviceAddress, long hostAddress, long bytes);
    }

    private static final int DESCRIBED = 64;            // events kept with their description per window

    private final Device device;
    private final DevicePool pool;
    private final Pointer stream;
    private final Runnable synchronize;
    private final Map<Storage, Map<String, Tensor>> uploadedReadOnly = new WeakHashMap<>();
    private final Set<Storage> accessed = Collections.newSetFromMap(new WeakHashMap<>());
    private volatile java.lang.ref.WeakReference<Storage> lastAccessed = new java.lang.ref.WeakReference<>(null);
    private long uploads, uploadedBytes, allocationsAtReset, reusesAtReset;
    private final List<String> uploadedNames = new ArrayList<>(), accessedNames = new ArrayList<>();

    /**
     * @param cacheLimit  bytes of freed blocks the pool may keep
     * @param stream      the stream launches go to (null: the default stream)
     * @param synchronize waits for the stream (a no-op where launches are synchronous)
     */
    public PooledDeviceMemory(Device device, long cacheLimit, Pointer stream, Runnable synchronize) {
        this.device = device;
        this.pool = new DevicePool(device, cacheLimit);
        this.stream = stream;
        this.synchronize = synchronize;
    }

    /** Device memory of the emulated device: malloc'd host memory, kept apart and counted like a GPU's. */
    public static PooledDeviceMemory emulated() {
        Device host = new Device() {
            @Override
            public long malloc(long bytes) { return Pointer.malloc(bytes).address(); }

            @Override
            public void free(long block) { Pointer.free(at(block)); }

            @Override
            public void zero(long address, long bytes) { Pointer.memset(at(address), 0, bytes); }

            @Override
            public void copyIn(long to, long from, long bytes) { Pointer.memcpy(at(to), at(from), bytes); }
        };
        long cap = Pointer.maxBytes();
        return new PooledDeviceMemory(host, cap > 0 ? Math.min(4L << 30, cap / 4) : 4L << 30, null, () -> {});
    }

    /**
     * A non-owning pointer to {@code where}. (Inside the anonymous class the simple name `address` is the
     * inherited field, so the parameter must have another name.)
     */
    static Pointer at(long where) {
        return new Pointer() { { address = where; } };
    }

    @Override
    public Tensor empty(DType dtype, int... shape) {
        long n = Shapes.numel(shape);
        BytePointer block = pool.allocate(n * dtype.byteSize());
        return Tensor.of(Storage.adopt(dtype, n, block, this), shape);
    }

    @Override
    public Tensor zeros(DType dtype, int... shape) {
        Tensor t = empty(dtype, shape);
        device.zero(t.storage().pointer().address(), t.numel() * dtype.byteSize());
        return t;
    }

    @Override
    public boolean holds(Tensor t) { return t.storage().owner() == this; }

    @Override
    public boolean hostReadable(Tensor t) { return !holds(t); }

    @Override
    public Tensor input(Tensor t, DType dtype) {
        if (holds(t) && t.dtype() == dtype && t.isContiguous()) return t;
        Storage s = t.storage();
        if (s.isReadOnly()) {
            String view = dtype + Arrays.toString(t.shape()) + Arrays.toString(t.strides()) + "@" + t.offset();
            synchronized (this) {
                Tensor cached = uploadedReadOnly.computeIfAbsent(s, k -> new HashMap<>()).get(view);
                if (cached != null) return cached;
            }
            Tensor copy = copyIn(t.dtype() == dtype ? t : t.to(dtype), true);
            synchronized (this) { uploadedReadOnly.get(s).put(view, copy); }
            return copy;
        }
        synchronize.run();                                   // t may be the result of queued work
        return copyIn(t.dtype() == dtype ? t : t.to(dtype), false);
    }

    @Override
    public Tensor resident(Tensor t) {
        if (holds(t)) return t;
        Storage s = t.storage();
        Tensor whole;
        if (s.isReadOnly()) {
            synchronized (this) {
                whole = uploadedReadOnly.computeIfAbsent(s, k -> new HashMap<>()).get("whole");
            }
            if (whole == null) {
                whole = copyIn(Tensor.of(s, s.length()), true);
                synchronized (this) { uploadedReadOnly.get(s).put("whole", whole); }
            }
        } else {
            synchronize.run();
            whole = copyIn(Tensor.of(s, s.length()), false);
        }
        return Tensor.view(whole.storage(), t.shape(), t.strides(), t.offset());
    }

    @Override
    public Tensor upload(Tensor t) {
        return holds(t) ? t : copyIn(t, false);
    }

    // A contiguous device copy of host tensor t (same dtype), counted; kept (outside every scope) when cached.
    private Tensor copyIn(Tensor t, boolean cached) {
        Tensor host = t.contiguous();
        Tensor dev = empty(t.dtype(), t.shape());
        long bytes = t.numel() * t.dtype().byteSize();
        if (bytes > 0) {
            device.copyIn(dev.storage().pointer().address(),
                    host.storage().pointer().address() + (long) host.offset() * t.dtype().byteSize(), bytes);
        }
        synchronized (this) {
            uploads++;
            uploadedBytes += bytes;
            if (uploadedNames.size() < DESCRIBED) uploadedNames.add(t.dtype() + Arrays.toString(t.shape()));
        }
        return cached ? TensorScope.unscoped(dev) : dev;
    }

    /** Storage.HostAccessObserver: the host touched device memory. */
    @Override
    public void hostAccess(Storage s) {
        if (lastAccessed.get() == s) return;
        synchronized (this) {
            lastAccessed = new java.lang.ref.WeakReference<>(s);
            if (accessed.add(s) && accessedNames.size() < DESCRIBED) accessedNames.add(s.dtype() + "[" + s.length() + "]");
        }
    }

    @Override
    public synchronized DeviceTraffic traffic() {
        return new DeviceTraffic(pool.allocations() - allocationsAtReset, pool.reuses() - reusesAtReset, uploads,
                uploadedBytes, accessed.size(), List.copyOf(uploadedNames), List.copyOf(accessedNames));
    }

    @Override
    public synchronized void resetTraffic() {
        allocationsAtReset = pool.allocations();
        reusesAtReset = pool.reuses();
        uploads = 0;
        uploadedBytes = 0;
        accessed.clear();
        lastAccessed = new java.lang.ref.WeakReference<>(null);
        uploadedNames.clear();
        accessedNames.clear();
    }

    /** Frees the blocks the pool keeps for reuse. */
    public void trim() { pool.trim(); }

    @Override
    public Pointer stream() { return stream; }

    @Override
    public void synchronize() { synchronize.run(); }
}
