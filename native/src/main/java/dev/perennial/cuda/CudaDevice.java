/*
 * One CUDA device as the backend sees it: its kernels (DeviceKernels over a KernelAbi and a DeviceMemory) and
 * its GEMM (PlannedGemm over an engine). Two kinds exist: the emulated device (emulated(): g++-built kernels, pooled
 * host memory standing in for device memory, OpenBLAS standing in for cuBLAS) and a GPU (built by
 * gpu.GpuCudaProvider: nvcc-built kernels, pooled CUDA managed memory, cuBLAS). Optionally a cuDNN route (dnn: the
 * CLIP patch-embedding convolution and BF16 attention through cuDNN, gpu.CudnnDnn on a GPU, EmulatedDnn standing in
 * on the emulated device; null = none). CudaBackend is written against this and cannot tell them apart.
 */
package dev.perennial.cuda;

import dev.perennial.cuda.dnn.DeviceDnn;
import dev.perennial.cuda.dnn.EmulatedDnn;
import dev.perennial.cuda.dnn.PlannedDnn;

public record CudaDevice(String name, DeviceKernels kernels, DeviceGemm gemm, PlannedDnn dnn) {

    /** A device without the cuDNN route (dnn null): every op on the hand-written kernels and the GEMM plan. */
    public CudaDevice(String name, DeviceKernels kernels, DeviceGemm gemm) { this(name, kernels, gemm, null); }

    /** This device with its cuDNN calls going to {@code engine} (the patch embedding and BF16 attention, PlannedDnn). */
    public CudaDevice withDnn(DeviceDnn engine) {
        return new CudaDevice(name + " + " + engine.name() + " cuDNN", kernels, gemm, new PlannedDnn(kernels, engine));
    }

    /**
     * The cuDNN route the system property {@code perennial.cuda.dnn} asks for: "auto" (default: cuDNN on a GPU when
     * its probe passes, none on the emulated device), "off" (never), "emulated" (the emulated device routes through
     * EmulatedDnn, the host stand-in for cuDNN; a GPU treats it as "auto").
     */
    public static String dnnFromProperties() {
        String v = System.getProperty("perennial.cuda.dnn", "auto").trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("auto") && !v.equals("off") && !v.equals("emulated")) {
            throw new IllegalArgumentException("-Dperennial.cuda.dnn must be auto, off or emulated, got " + v);
        }
        return v;
    }

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
    public static CudaDevice emulated() {
        CudaDevice d = emulated(tf32FromProperties());
        return dnnFromProperties().equals("emulated") ? d.withDnn(new EmulatedDnn()) : d;
    }

    /** {@link #emulated()} with TF32 compute for F32 x F32 GEMMs on or off. */
    public static CudaDevice emulated(boolean tf32) {
        PooledDeviceMemory memory = PooledDeviceMemory.emulated();
        DeviceKernels kernels = new DeviceKernels(EmulatedDevice.abi(), memory);
        return new CudaDevice("emulated", kernels, new PlannedGemm(kernels, new HostGemmEngine(), tf32));
    }
}
