/*
 * The emulated device: the cuda/ kernels compiled by g++ against simt_emu.h (CPU fibers, one per CUDA thread),
 * with host memory as device memory. kernels() is the tensor-level entry the tests and the CUDA backend's
 * emulated mode use; setFiberOrder switches the run order of the fibers (tests run every kernel in both).
 */
package dev.perennial.cuda;

public final class EmulatedDevice {
    private static final KernelAbi ABI = StaticBindingAbi.of(EmuKernels.class, EmuKernels::pn_emu_last_message);
    private static final DeviceKernels KERNELS = new DeviceKernels(ABI, HostMemory.INSTANCE);

    private EmulatedDevice() {}

    /** The launchers of the emulated build (thread-safe). */
    static KernelAbi abi() { return ABI; }

    /**
     * The kernels over host memory taken as device memory (nothing copied or counted): what the kernel tests run.
     * Thread-safe: each calling thread runs its own launches. CudaDevice.emulated() keeps device memory apart.
     */
    public static DeviceKernels kernels() { return KERNELS; }

    /** Run order of the fibers of a block for all later launches (process-wide). */
    public static void setFiberOrder(FiberOrder order) {
        EmuKernels.pn_emu_set_order(order == FiberOrder.REVERSE ? 1 : 0);
    }
}
