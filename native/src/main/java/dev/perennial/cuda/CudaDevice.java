/*
 * One CUDA device as the backend sees it: its kernels (DeviceKernels over a KernelAbi and a DeviceMemory) and
 * its GEMM. Two kinds exist: the emulated device (emulated(): g++-built kernels, host memory, OpenBLAS) and a GPU
 * (built by perennial-cuda's provider: nvcc-built kernels, CUDA managed memory, cuBLAS). CudaBackend is
 * written against this and cannot tell them apart.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.CpuBackend;

public record CudaDevice(String name, DeviceKernels kernels, DeviceGemm gemm) {

    /** The emulated device: kernels compiled by g++ against simt_emu.h, host memory, OpenBLAS for GEMM. */
    public static CudaDevice emulated() {
        return new CudaDevice("emulated", EmulatedDevice.kernels(), new HostGemm(new CpuBackend()));
    }
}
