/*
 * One CUDA device as the backend sees it: its kernels (DeviceKernels over a KernelAbi and a DeviceMemory) and
 * its GEMM (PlannedGemm over an engine). Two kinds exist: the emulated device (emulated(): g++-built kernels, pooled
 * host memory standing in for device memory, OpenBLAS standing in for cuBLAS) and a GPU (built by
 * gpu.GpuCudaProvider: nvcc-built kernels, pooled CUDA managed memory, cuBLAS). CudaBackend is
 * written against this and cannot tell them apart.
 */
package dev.perennial.cuda;

public record CudaDevice(String name, DeviceKernels kernels, DeviceGemm gemm) {

    /**
     * Whether F32 x F32 GEMMs may use TF32 tensor cores (inputs rounded to 10 mantissa bits): the system property
     * {@code perennial.cuda.tf32} (default false, i.e. FP32 compute).
     */
    public static boolean tf32FromProperties() { return Boolean.getBoolean("perennial.cuda.tf32"); }

    /**
     * A new emulated device: kernels compiled by g++ against simt_emu.h, the GEMM plan of every device over an
     * OpenBLAS stand-in for cuBLAS (HostGemmEngine), and its own device memory (PooledDeviceMemory.emulated(): host
     * memory kept apart from the host's tensors and counted). TF32 as {@link #tf32FromProperties()} says.
     */
    public static CudaDevice emulated() { return emulated(tf32FromProperties()); }

    /** {@link #emulated()} with TF32 compute for F32 x F32 GEMMs on or off. */
    public static CudaDevice emulated(boolean tf32) {
        PooledDeviceMemory memory = PooledDeviceMemory.emulated();
        DeviceKernels kernels = new DeviceKernels(EmulatedDevice.abi(), memory);
        return new CudaDevice("emulated", kernels, new PlannedGemm(kernels, new HostGemmEngine(), tf32));
    }
}
