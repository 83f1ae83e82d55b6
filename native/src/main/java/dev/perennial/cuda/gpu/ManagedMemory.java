/*
 * Device memory on a GPU: CUDA managed memory (cudaMallocManaged), which both the GPU and the host address, so
 * Tensor code, host fallbacks and result reads work unchanged after synchronize(). It is the device side of a
 * PooledDeviceMemory: blocks are cached and reused (no cudaMallocManaged per op after the first step), host
 * tensors are copied in explicitly (cudaMemcpy) and read-only ones once, and what crosses is counted exactly as on
 * the emulated device, where the residency tests run. One stream per backend.
 *
 * Written against the org.bytedeco CUDA preset and used only after GpuProbe said a GPU is present. Not run here
 * (no GPU on these machines): the GPU-tagged tests in this module exercise it where a GPU exists.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.PooledDeviceMemory;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.Pointer;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaMallocManaged;
import static org.bytedeco.cuda.global.cudart.cudaMemAttachGlobal;
import static org.bytedeco.cuda.global.cudart.cudaMemcpy;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDefault;
import static org.bytedeco.cuda.global.cudart.cudaMemset;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

final class ManagedMemory implements PooledDeviceMemory.Device {
    private ManagedMemory() {}

    /** Managed memory on the current device with its own stream. */
    static PooledDeviceMemory create() {
        CUstream_st stream = new CUstream_st();
        check("cudaStreamCreate", cudaStreamCreate(stream));
        return new PooledDeviceMemory(new ManagedMemory(), Long.MAX_VALUE, stream,
                () -> check("cudaStreamSynchronize", cudaStreamSynchronize(stream)));
    }

    @Override
    public long malloc(long bytes) {
        Pointer p = new Pointer();
        return cudaMallocManaged(p, Math.max(bytes, 1), cudaMemAttachGlobal) == 0 ? p.address() : 0;
    }

    @Override
    public void free(long address) { cudaFree(at(address)); }

    @Override
    public void zero(long address, long bytes) { check("cudaMemset", cudaMemset(at(address), 0, bytes)); }

    @Override
    public void copyIn(long to, long from, long bytes) {
        check("cudaMemcpy", cudaMemcpy(at(to), at(from), bytes, cudaMemcpyDefault));
    }

    private static Pointer at(long where) {              // not `address`: the inherited field would shadow it
        return new Pointer() { { address = where; } };
    }

    static void check(String call, int code) {
        if (code != 0) throw new IllegalStateException(call + " failed with CUDA error " + code);
    }
}
