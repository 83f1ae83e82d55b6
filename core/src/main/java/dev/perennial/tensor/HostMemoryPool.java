/*
 * A caching allocator for the host memory of large tensors (docs/architecture.md, "Memory").
 *
 * Every op returns a fresh tensor, so a training step allocates and frees thousands of blocks of the same few
 * sizes. glibc serves blocks above its mmap threshold (at most 32 MB, often 128 KB) with fresh mmap'd pages and
 * returns them with munmap: every such tensor then costs a page fault per 4 KB on first touch plus the kernel's
 * zeroing of each page. Measured on a 221M-parameter training step before this pool: 41 s of system time beside
 * 62 s of user time. Like PyTorch's CUDA caching allocator, this pool keeps freed blocks in size classes and
 * hands them out again, so after the first step a step of the same shapes touches no new pages.
 *
 * Blocks of at least MIN_BYTES are pooled; smaller ones come from malloc directly (cheap and page-resident).
 * A request is rounded up to its size class (8 classes per power of two: at most 12.5% over), and a freed block
 * is kept unless the cache already holds its limit (a quarter of the native-memory cap, at most 4 GiB). A request
 * that would take live + cached memory past the cap first frees the cache, so the pool never makes an allocation
 * fail that would have succeeded without it. Pooled blocks are ordinary JavaCPP pointers: they count towards
 * JavaCPP's totalBytes and cap, join the innermost PointerScope, and are returned when closed, when their scope
 * closes, or after GC.
 */
package dev.perennial.tensor;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching allocator for host tensor memory: blocks of 64 KiB and more are rounded up to a size class (at most 12.5%
 * over) and reused after their tensors free them, the cache holding at most a quarter of the native-memory cap (and 4
 * GiB); {@code trim} empties it, and {@code cachedBytes}, {@code peakHeldBytes} and {@code hitsAndMisses} report on it.
 * <p>Thread-safe: the free lists and counters are guarded by the class lock; the peak statistic is a volatile field
 * updated without the lock, so a concurrent peak may be missed.
 */
public final class HostMemoryPool {
    /** Requests below this many bytes bypass the pool. */
    public static final long MIN_BYTES = 64 << 10;
    private static final long MAX_CACHED = 4L << 30;

    private static final Map<Long, ArrayDeque<Long>> free = new HashMap<>();   // class bytes -> addresses
    private static long cachedBytes;
    private static long hits, misses;
    private static volatile long peakHeld;

    private HostMemoryPool() {}

    /** A block of at least {@code nbytes} (contents unspecified) whose limit is {@code nbytes}. */
    static BytePointer allocate(long nbytes) {
        long size = sizeClass(nbytes);
        long address = take(size);
        if (address == 0) {
            address = Pointer.malloc(size).address();
            if (address == 0) {
                trim();
                address = Pointer.malloc(size).address();
                if (address == 0) throw new OutOfMemoryError("malloc of " + size + " bytes failed");
            }
        }
        // When JavaCPP's cap refuses the block, Pointer.deallocator() has already run our deallocator (the block is
        // back in the pool) before it throws: returning it here again would hand one block out twice.
        Block b = new Block(address, size, nbytes);
        long held = Pointer.totalBytes() + cachedBytes;                      // racy read of cachedBytes: a statistic
        if (held > peakHeld) peakHeld = held;
        return b;
    }

    /** The size class of a request: rounded up to a multiple of 1/8 of its power of two. */
    static long sizeClass(long nbytes) {
        if (nbytes < MIN_BYTES) return nbytes;
        int log = 63 - Long.numberOfLeadingZeros(nbytes);
        long step = 1L << (log - 3);
        return (nbytes + step - 1) / step * step;
    }

    private static synchronized long take(long size) {
        ArrayDeque<Long> list = free.get(size);
        if (list != null && !list.isEmpty()) {
            cachedBytes -= size;
            hits++;
            return list.pop();
        }
        misses++;
        long cap = Pointer.maxBytes();
        if (cap > 0 && Pointer.totalBytes() + cachedBytes + size > cap) trimLocked();
        return 0;
    }

    private static synchronized void giveBack(long block, long size) {
        long cap = Pointer.maxBytes();
        long limit = cap > 0 ? Math.min(MAX_CACHED, cap / 4) : MAX_CACHED;
        if (cachedBytes + size > limit) {
            Pointer.free(new Pointer() { { this.address = block; } });   // `address` here would be the field
            return;
        }
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(block);
        cachedBytes += size;
    }

    /** Frees every cached block (the memory goes back to the C library). */
    public static synchronized void trim() {
        trimLocked();
    }

    private static void trimLocked() {
        for (ArrayDeque<Long> list : free.values()) {
            for (long a : list) Pointer.free(new Pointer() { { this.address = a; } });
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Bytes held in the cache (freed by their tensors, kept for reuse). */
    public static synchronized long cachedBytes() { return cachedBytes; }

    /** The most native memory held at once (tensors in use, JavaCPP-counted, plus the cache), seen at pooled allocations. */
    public static long peakHeldBytes() { return peakHeld; }

    /** Requests served from the cache and from malloc since start. */
    public static synchronized long[] hitsAndMisses() { return new long[]{hits, misses}; }

    /** A pooled block: frees itself into the pool. capacity is the class size, so JavaCPP counts what is held. */
    private static final class Block extends BytePointer {
        Block(long at, long size, long nbytes) {
            address = at;
            capacity = size;
            limit = nbytes;
            deallocator(() -> giveBack(at, size));
        }
    }
}
