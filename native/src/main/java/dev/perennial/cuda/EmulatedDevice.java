/*
 * The emulated device: the cuda/ kernels compiled by g++ against simt_emu.h (CPU fibers, one per CUDA thread),
 * with host memory as device memory. kernels() is the tensor-level entry the tests and the CUDA backend's
 * emulated mode use; setFiberOrder switches the run order of the fibers (tests run every kernel in both).
 */
package dev.perennial.cuda;

public final class EmulatedDevice {
    private static final DeviceKernels KERNELS =
            new DeviceKernels(StaticBindingAbi.of(EmuKernels.class, EmuKernels::pn_emu_last_message), HostMemory.INSTANCE);

    private EmulatedDevice() {}

    /** The kernels on the emulated device. Thread-safe: each calling thread runs its own launches. */
    public static DeviceKernels kernels() { return KERNELS; }

    /** Run order of the fibers of a block for all later launches (process-wide). */
    public static void setFiberOrder(FiberOrder order) {
        EmuKernels.pn_emu_set_order(order == FiberOrder.REVERSE ? 1 : 0);
    }
}
