/*
 * One CUDA device as the backend sees it: its kernels (DeviceKernels over a KernelAbi and a DeviceMemory) and
 * its GEMM. Two kinds exist: the emulated device (emulated(): g++-built kernels, pooled host memory standing in
 * for device memory, OpenBLAS) and a GPU (built by gpu.GpuCudaProvider: nvcc-built kernels, pooled CUDA
 * managed memory, cuBLAS). CudaBackend is
 * written against this and cannot tell them apart.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.CpuBackend;

public record CudaDevice(String name, DeviceKernels kernels, DeviceGemm gemm) {

    /**
     * A new emulated device: kernels compiled by g++ against simt_emu.h, OpenBLAS for GEMM, and its own device
     * memory (PooledDeviceMemory.emulated(): host memory kept apart from the host's tensors and counted).
     */
    public static CudaDevice emulated() {
        PooledDeviceMemory memory = PooledDeviceMemory.emulated();
        return new CudaDevice("emulated", new DeviceKernels(EmulatedDevice.abi(), memory), new HostGemm(new CpuBackend(), memory));
    }
}
