/*
 * The C ABI launchers of the CUDA kernels as Java methods: KernelLaunchers, generated at build time from the kernel
 * headers of perennial-cuda (BindingGenerator: method fooBar is launcher pn_foo_bar, the C parameters in the same
 * order), plus lastMessage(). StaticBindingAbi implements it over either JavaCPP binding of the same sources, both
 * generated from the same headers: EmuKernels (the g++ build run by the emulated device) or gpu.CudaKernels (the
 * nvcc build, libperennialcuda.so). DeviceKernels is written once against this interface, so the code that tests
 * pass on the emulated device is the code that runs on a GPU, and a launcher's signature is written only in its
 * header (docs/kernels.md, "Adding a kernel").
 *
 * Pointers are device pointers (host pointers on the emulated device); every launcher returns the launcher's
 * cudaError_t as int (0 = success, 1 = cudaErrorInvalidValue for bad sizes, 719 = launch failure).
 */
package dev.perennial.cuda;

/**
 * The kernels' launchers (generated {@link KernelLaunchers}) and why the last launch on this thread failed.
 * <p>Implementations delegate to a JavaCPP binding of C functions; thread-safety is theirs (launches are
 * independent, {@code lastMessage} is per thread on the emulated device).
 */
public interface KernelAbi extends KernelLaunchers {
    /** Why the last failed launch on this thread failed, if the implementation knows ("" otherwise). */
    String lastMessage();
}
