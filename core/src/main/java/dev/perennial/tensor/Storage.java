/*
 * A flat block of host memory holding the elements of one or more tensors (views share a Storage).
 *
 * Memory is off-heap so that OpenBLAS (and, in emulation, the CUDA kernels) can read it in place through a
 * JavaCPP Pointer: handing Java arrays to JNI copies them, which costs ~40% of GEMM throughput
 * (docs/toolchain.md §3.2). Three sources exist: native allocations (freed by close(), or by JavaCPP's
 * deallocator when unreachable), read-only memory maps of checkpoint files, and memory owned by someone else
 * (an ND4J INDArray), kept alive through `owner`.
 *
 * Blocks of 64 KB and more come from HostMemoryPool, a caching allocator (freed blocks are reused, not unmapped).
 *
 * Java code reads the memory through little-endian NIO views; positions are ints, so one Storage holds at most
 * 2^31-1 bytes (a LLaVA-7B embedding matrix is 0.5 GB in float32; nothing in the target models is larger).
 */
package dev.perennial.tensor;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * A flat block of off-heap memory holding the elements of one or more tensors (views share it): a dtype and a length in
 * elements (at most 2^31-1 bytes), allocated natively (pooled from 64 KiB), memory-mapped (possibly read-only) or owned
 * by someone else; Java code reads it through little-endian NIO views and kernels through its native pointer.
 * <p>Not thread-safe for writes: dtype, length and memory are fixed, but the elements are unsynchronized memory and the
 * typed views are cached without locking (use their absolute get and put). Several threads may read (as inference does
 * with the weights); writes and {@code close()} need external synchronization.
 */
public final class Storage implements AutoCloseable {
    static {
        NativeMemory.configure();                  // before JavaCPP's Pointer reads its memory cap
    }

    private final DType dtype;
    private final int length;          // elements
    private final ByteBuffer bytes;    // little-endian, position 0, capacity = length * dtype.byteSize()
    private final Pointer pointer;     // same address as `bytes`; never owns memory (see borrowed())
    private final Pointer owned;       // the allocation close() frees, or null
    private final Object owner;        // keeps mapped buffers / foreign arrays reachable
    private final boolean readOnly;
    private final HostAccessObserver observer;   // told of buffer access when the memory is a device's, else null
    private volatile boolean closed;

    private FloatBuffer floats;
    private ShortBuffer shorts;
    private IntBuffer ints;
    private LongBuffer longs;
    private DoubleBuffer doubles;

    private Storage(DType dtype, int length, ByteBuffer bytes, Pointer owned, Object owner, boolean readOnly) {
        this.dtype = dtype;
        this.length = length;
        this.bytes = bytes.order(ByteOrder.LITTLE_ENDIAN);
        this.pointer = borrowed(new BytePointer(bytes).address(), bytes.capacity());
        this.owned = owned;
        this.owner = owner;
        this.readOnly = readOnly;
        this.observer = owner instanceof HostAccessObserver o ? o : null;
    }

    /**
     * The owner of memory that is not the host's own (device memory on the emulated device, CUDA managed memory):
     * told each time Java code reads or writes the elements through a buffer view (bytes(), floats(), ...), which
     * on a device is a transfer. Kernels and BLAS reach the memory through pointer(), which is not reported.
     */
    public interface HostAccessObserver {
        void hostAccess(Storage s);
    }

    /**
     * Adopts an allocation made by someone else's allocator (a device memory pool): close() calls the pointer's
     * deallocator (which may return the block to its pool), and so do the PointerScope it joined and the garbage
     * collector. When {@code owner} is a HostAccessObserver it hears of every buffer access.
     */
    public static Storage adopt(DType dtype, long length, BytePointer allocation, Object owner) {
        long nbytes = checkedBytes(dtype, length);
        if (allocation.capacity() < nbytes && nbytes > 0) {
            throw new IllegalArgumentException("allocation of " + allocation.capacity() + " bytes for " + nbytes);
        }
        ByteBuffer buf = nbytes == 0 ? ByteBuffer.allocateDirect(0)
                : borrowed(allocation.address(), nbytes).asByteBuffer().limit((int) nbytes).slice();
        return new Storage(dtype, (int) length, buf, allocation, owner, false);
    }

    /** Allocates zero-filled native memory for {@code length} elements. */
    public static Storage allocate(DType dtype, long length) {
        return allocate(dtype, length, null);
    }

    /** allocate(), naming the tensor's shape if memory runs out. */
    public static Storage allocate(DType dtype, long length, int[] shape) {
        Storage s = allocateUninitialized(dtype, length, shape);
        s.owned.zero();
        return s;
    }

    /**
     * Allocates native memory without clearing it, for outputs that an op overwrites completely (saves a
     * memory pass on every GEMM and element-wise result). Inside a JavaCPP PointerScope the memory is freed
     * when the scope closes.
     */
    public static Storage allocateUninitialized(DType dtype, long length) {
        return allocateUninitialized(dtype, length, null);
    }

    /** allocateUninitialized(), naming the tensor's shape if memory runs out (NativeMemory.exhausted). */
    public static Storage allocateUninitialized(DType dtype, long length, int[] shape) {
        long nbytes = checkedBytes(dtype, length);
        BytePointer p;
        try {
            p = nbytes >= HostMemoryPool.MIN_BYTES ? HostMemoryPool.allocate(nbytes) : new BytePointer(Math.max(1, nbytes));
        } catch (NativeMemory.ExhaustedError e) {
            throw e;
        } catch (OutOfMemoryError e) {
            throw NativeMemory.exhausted(dtype, shape, length, nbytes, e);
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {       // no JavaCPP natives for this platform
            throw NativeLibraries.missing("javacpp", e);
        }
        // asByteBuffer() ignores a zero limit and spans the 1-byte placeholder; an empty storage has no bytes
        ByteBuffer buf = p.limit(nbytes).asByteBuffer().limit((int) nbytes).slice();
        return new Storage(dtype, (int) length, buf, p, null, false);
    }

    /**
     * Wraps a direct buffer (for example a read-only MappedByteBuffer of a checkpoint) without copying.
     * The buffer's position..limit range is used; it must hold exactly {@code length} elements.
     */
    public static Storage wrap(DType dtype, long length, ByteBuffer direct) {
        if (!direct.isDirect()) throw new IllegalArgumentException("Storage.wrap needs a direct ByteBuffer");
        long nbytes = checkedBytes(dtype, length);
        if (direct.remaining() != nbytes) {
            throw new IllegalArgumentException("buffer has " + direct.remaining() + " bytes, " + length + " x "
                    + dtype + " needs " + nbytes);
        }
        ByteBuffer slice = direct.slice();
        return new Storage(dtype, (int) length, slice, null, direct, direct.isReadOnly());
    }

    /**
     * Wraps native memory owned by someone else (e.g. an ND4J DataBuffer). {@code owner} is kept reachable for
     * as long as this storage is; the memory is not freed by close().
     */
    public static Storage wrap(DType dtype, long length, Pointer address, Object owner) {
        long nbytes = checkedBytes(dtype, length);
        ByteBuffer buf = borrowed(address.address() + address.position() * address.sizeof(), nbytes).asByteBuffer();
        return new Storage(dtype, (int) length, buf, null, owner, false);
    }

    /**
     * A pointer to {@code nbytes} at {@code address} that does not own them. JavaCPP pointer copies share the
     * original's deallocator (closing a copy frees the original), so every pointer handed out is derived from
     * this non-owning one and can be copied or closed freely.
     */
    private static BytePointer borrowed(long at, long nbytes) {
        return new BytePointer() {
            {   // note: inside this subclass `address`, `limit`, `capacity` name the inherited fields
                address = at;
                capacity = nbytes;
                limit = nbytes;
            }
        };
    }

    private static long checkedBytes(DType dtype, long length) {
        if (length < 0) throw new IllegalArgumentException("negative length " + length);
        long nbytes = length * dtype.byteSize();
        if (nbytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor of " + length + " x " + dtype + " (" + nbytes
                    + " bytes) exceeds the 2 GiB limit of one storage");
        }
        return nbytes;
    }

    public DType dtype() { return dtype; }

    /** Number of elements. */
    public int length() { return length; }

    public boolean isReadOnly() { return readOnly; }

    /** The raw little-endian bytes (a duplicate: position/limit changes do not affect this storage). */
    public ByteBuffer bytes() { touch(); return bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN); }

    /** The native address of element 0 as a non-owning JavaCPP pointer (for BLAS and kernels). */
    public Pointer pointer() { checkOpen(); return pointer; }

    /** The native address of element 0. */
    public long address() { checkOpen(); return pointer.address() + pointer.position(); }

    public FloatBuffer floats() {
        touch();
        require(DType.F32);
        FloatBuffer f = floats;
        if (f == null) floats = f = bytes.asFloatBuffer();
        return f;
    }

    /** F16 / BF16 / I16 raw bits. */
    public ShortBuffer shorts() {
        touch();
        if (dtype.byteSize() != 2) throw wrongType("a 16-bit type");
        ShortBuffer s = shorts;
        if (s == null) shorts = s = bytes.asShortBuffer();
        return s;
    }

    public IntBuffer ints() {
        touch();
        require(DType.I32);
        IntBuffer i = ints;
        if (i == null) ints = i = bytes.asIntBuffer();
        return i;
    }

    public LongBuffer longs() {
        touch();
        require(DType.I64);
        LongBuffer l = longs;
        if (l == null) longs = l = bytes.asLongBuffer();
        return l;
    }

    public DoubleBuffer doubles() {
        touch();
        require(DType.F64);
        DoubleBuffer d = doubles;
        if (d == null) doubles = d = bytes.asDoubleBuffer();
        return d;
    }

    /** Element {@code i} converted to float (exact for F32/F16/BF16 and small integers). */
    public float getFloat(int i) {
        switch (dtype) {
            case F32: return floats().get(i);
            case F16: return Half.f16ToFloat(shorts().get(i));
            case BF16: return Half.bf16ToFloat(shorts().get(i));
            case F64: return (float) doubles().get(i);
            default: return (float) getLong(i);
        }
    }

    /** Element {@code i} as double (exact for every dtype except I64 beyond 2^53). */
    public double getDouble(int i) {
        switch (dtype) {
            case F64: return doubles().get(i);
            case I64: return longs().get(i);
            case I32: return ints().get(i);
            default: return getFloat(i);
        }
    }

    /** Element {@code i} as a long; floating types are truncated toward zero. */
    public long getLong(int i) {
        switch (dtype) {
            case I64: return longs().get(i);
            case I32: return ints().get(i);
            case I16: return shorts().get(i);
            case I8: touch(); return bytes.get(i);
            case U8: touch(); return bytes.get(i) & 0xff;
            case BOOL: touch(); return bytes.get(i) != 0 ? 1 : 0;
            default: return (long) getDouble(i);
        }
    }

    /** Stores {@code v} at element {@code i}, narrowing to this storage's dtype (round to nearest even). */
    public void setFloat(int i, float v) {
        switch (dtype) {
            case F32: floats().put(i, v); break;
            case F16: shorts().put(i, Half.floatToF16(v)); break;
            case BF16: shorts().put(i, Half.floatToBf16(v)); break;
            case F64: doubles().put(i, v); break;
            default: setLong(i, (long) v);
        }
    }

    public void setDouble(int i, double v) {
        if (dtype == DType.F64) doubles().put(i, v);
        else if (dtype.isFloating()) setFloat(i, (float) v);
        else setLong(i, (long) v);
    }

    public void setLong(int i, long v) {
        switch (dtype) {
            case I64: longs().put(i, v); break;
            case I32: ints().put(i, (int) v); break;
            case I16: shorts().put(i, (short) v); break;
            case I8: case U8: touch(); bytes.put(i, (byte) v); break;
            case BOOL: touch(); bytes.put(i, (byte) (v != 0 ? 1 : 0)); break;
            default: setDouble(i, v);
        }
    }

    /** Frees native memory this storage allocated; views over it must not be used afterwards. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (owned != null) owned.deallocate();      // frees now, whatever scopes still reference it
    }

    /** True when this storage allocated its memory (close() frees it); false for maps and foreign memory. */
    public boolean isOwned() { return owned != null; }

    /** The native allocation this storage owns (null for maps and foreign memory); for TensorScope. */
    Pointer ownedPointer() { return owned; }

    /** True for memory a device owns (its owner observes host access): reading it from Java is a transfer. */
    public boolean isDeviceMemory() { return observer != null; }

    /** The object keeping foreign or mapped memory alive, or null. */
    public Object owner() { return owner; }

    /** checkOpen() for buffer access: also tells a device owner that the host touched its memory. */
    private void touch() {
        checkOpen();
        if (observer != null) observer.hostAccess(this);
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("storage was closed");
    }

    private void require(DType t) {
        if (dtype != t) throw wrongType(t.toString());
    }

    private IllegalStateException wrongType(String wanted) {
        return new IllegalStateException("storage holds " + dtype + ", not " + wanted);
    }
}
