/*
 * Where DeviceKernels puts its operands and results. Tensors stay ordinary dev.perennial.tensor.Tensor objects
 * in every mode: on the emulated device "device memory" is host memory (HostMemory); on a GPU the storages are
 * CUDA managed memory, addressable from both sides, so code without a kernel can still read a result after
 * synchronize() (docs/architecture.md, "CUDA backend").
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;

public interface DeviceMemory {

    /** A new contiguous tensor in device-accessible memory, contents undefined (kernels overwrite it). */
    Tensor empty(DType dtype, int... shape);

    /**
     * t as a contiguous tensor of the given dtype that kernels may read: t itself when it already is one, else a
     * converted or copied tensor in device-accessible memory.
     */
    Tensor input(Tensor t, DType dtype);

    /**
     * t itself when kernels can read its storage in place, else the same view (shape, strides, offset, dtype) over
     * a device-accessible copy of its storage — for kernels that read strided or half-precision operands directly.
     */
    Tensor resident(Tensor t);

    /** True when t's storage is this device's memory (kernels read and write it in place). */
    boolean holds(Tensor t);

    /**
     * True when the host can read t's elements without a transfer (t is a host tensor, or device memory is host
     * memory): index checks are then done on the host before a launch instead of by reading a flag back.
     */
    boolean hostReadable(Tensor t);

    /** A new zero-filled contiguous tensor in device memory. */
    Tensor zeros(DType dtype, int... shape);

    /**
     * t in device memory, same dtype, shape and values: t itself when held already, else a contiguous copy (one
     * transfer). Backend.place of the CUDA backend.
     */
    Tensor upload(Tensor t);

    /** What has crossed between host and device since the last resetTraffic() (zeros where nothing is counted). */
    DeviceTraffic traffic();

    /** Starts a new counting window for traffic(). */
    void resetTraffic();

    /** The stream every launch goes to (null = the default stream). */
    Pointer stream();

    /** Waits until all work queued on stream() has finished (before the host reads a result). */
    void synchronize();
}
