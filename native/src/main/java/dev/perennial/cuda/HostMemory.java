/*
 * DeviceMemory for the kernel tests: every host tensor counts as device memory (nothing is copied or counted),
 * launches run synchronously on the calling thread (so there is nothing to wait for), and the stream is the null
 * (default) stream. The emulated CUDA backend uses PooledDeviceMemory instead, which keeps device and host apart.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.bytedeco.javacpp.Pointer;

final class HostMemory implements DeviceMemory {
    static final HostMemory INSTANCE = new HostMemory();

    private HostMemory() {}

    @Override
    public Tensor empty(DType dtype, int... shape) { return Tensor.empty(dtype, shape); }

    @Override
    public Tensor input(Tensor t, DType dtype) {
        Tensor typed = t.dtype() == dtype ? t : t.to(dtype);
        return typed.contiguous();
    }

    @Override
    public Tensor resident(Tensor t) { return t; }

    @Override
    public boolean holds(Tensor t) { return true; }

    @Override
    public boolean hostReadable(Tensor t) { return true; }

    @Override
    public Tensor zeros(DType dtype, int... shape) { return Tensor.zeros(dtype, shape); }

    @Override
    public Tensor upload(Tensor t) { return t; }

    @Override
    public DeviceTraffic traffic() { return DeviceTraffic.NONE; }

    @Override
    public void resetTraffic() {}

    @Override
    public Pointer stream() { return null; }

    @Override
    public void synchronize() {}
}
