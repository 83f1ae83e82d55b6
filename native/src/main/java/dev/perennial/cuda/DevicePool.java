/*
 * A caching allocator for device memory, the device-side counterpart of tensor.HostMemoryPool and of PyTorch's
 * CUDA caching allocator (docs/architecture.md, "Device residency"). Every op returns a fresh tensor, so a
 * training or decoding step allocates and frees thousands of blocks of the same few sizes; a device allocation
 * (cudaMallocManaged) costs far more than a kernel launch and synchronises the device. Freed blocks are kept in
 * size classes (256-byte granules below 64 KB, 8 classes per power of two above) and handed out again, so after
 * the first step a step of the same shapes makes no new device allocation: allocations() stops growing, which is
 * what DeviceResidencyTest checks.
 *
 * Blocks are JavaCPP pointers whose deallocator returns them here: Storage.close(), the PointerScope they joined
 * (TensorScope) and the garbage collector all give them back. The cache holds at most cacheLimit bytes; when the
 * raw allocator fails, the cache is freed and the allocation retried once, so the pool never makes an allocation
 * fail that would have succeeded without it. Thread-safe.
 */
package dev.perennial.cuda;

import org.bytedeco.javacpp.BytePointer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

final class DevicePool {
    /** The device's own allocator: malloc returns 0 when out of memory. */
    interface Raw {
        long malloc(long bytes);

        void free(long address);
    }

    private static final long SMALL = 64 << 10, GRANULE = 256;

    private final Raw raw;
    private final long cacheLimit;
    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();   // class bytes -> addresses
    private long cachedBytes, allocations, reuses;

    DevicePool(Raw raw, long cacheLimit) {
        this.raw = raw;
        this.cacheLimit = cacheLimit;
    }

    /** A block of at least {@code nbytes} (contents unspecified) whose limit is {@code nbytes}. */
    BytePointer allocate(long nbytes) {
        long size = sizeClass(nbytes);
        long address = take(size);
        if (address == 0) {
            address = raw.malloc(size);
            if (address == 0) {
                trim();
                address = raw.malloc(size);
                if (address == 0) throw new OutOfMemoryError("device allocation of " + size + " bytes failed");
            }
            synchronized (this) { allocations++; }
        }
        // When JavaCPP's memory cap refuses the block, Pointer.deallocator() has already returned it to this pool
        // (it runs the deallocator before throwing): returning it again would hand one block out twice.
        return new Block(this, address, size, nbytes);
    }

    /** The size class of a request. */
    static long sizeClass(long nbytes) {
        long n = Math.max(nbytes, 1);
        if (n < SMALL) return (n + GRANULE - 1) / GRANULE * GRANULE;
        int log = 63 - Long.numberOfLeadingZeros(n);
        long step = 1L << (log - 3);
        return (n + step - 1) / step * step;
    }

    private synchronized long take(long size) {
        ArrayDeque<Long> list = free.get(size);
        if (list == null || list.isEmpty()) return 0;
        cachedBytes -= size;
        reuses++;
        return list.pop();
    }

    private synchronized void giveBack(long address, long size) {
        if (cachedBytes + size > cacheLimit) {
            raw.free(address);
            return;
        }
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(address);
        cachedBytes += size;
    }

    /** Frees every cached block back to the device. */
    synchronized void trim() {
        for (ArrayDeque<Long> list : free.values()) for (long a : list) raw.free(a);
        free.clear();
        cachedBytes = 0;
    }

    /** Raw device allocations made so far (cache misses). */
    synchronized long allocations() { return allocations; }

    /** Requests served from the cache so far. */
    synchronized long reuses() { return reuses; }

    /** Bytes held in the cache. */
    synchronized long cachedBytes() { return cachedBytes; }

    /**
     * A pooled block: returns itself to the pool when deallocated. capacity is the class size. Static, so that
     * the deallocator (which JavaCPP keeps until the block is freed) holds the pool but not the block.
     */
    private static final class Block extends BytePointer {
        Block(DevicePool pool, long at, long size, long nbytes) {
            address = at;
            capacity = size;
            limit = nbytes;
            deallocator(() -> pool.giveBack(at, size));
        }
    }
}
