/*
 * "cuda": the CUDA backend on the first GPU — nvcc-built kernels (CudaKernels), CUDA managed memory, cuBLAS GemmEx
 * behind the shared GEMM plan (PlannedGemm; TF32 for F32 products only with -Dperennial.cuda.tf32=true), and cuDNN
 * for the patch-embedding convolution and BF16 attention when CudnnDnn's probe allows it (-Dperennial.cuda.dnn=off
 * keeps the hand-written kernels).
 * Chosen by "auto" whenever GpuProbe finds a device (priority 10 > the CPU backend's 0). create() is the first
 * place that touches the org.bytedeco CUDA preset.
 */
package dev.perennial.cuda.gpu;

import dev.perennial.cuda.CudaBackend;
import dev.perennial.cuda.CudaDevice;
import dev.perennial.cuda.DeviceKernels;
import dev.perennial.cuda.PlannedGemm;
import dev.perennial.cuda.PooledDeviceMemory;
import dev.perennial.cuda.StaticBindingAbi;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.BackendProvider;

public final class GpuCudaProvider implements BackendProvider {
    @Override
    public String name() { return "cuda"; }

    @Override
    public Availability probe() {
        return GpuProbe.available() ? Availability.yes(GpuProbe.reason()) : Availability.no(GpuProbe.reason());
    }

    @Override
    public int priority() { return 10; }

    @Override
    public Backend create() {
        if (!GpuProbe.available()) throw new IllegalStateException("no usable GPU: " + GpuProbe.reason());
        PooledDeviceMemory memory = ManagedMemory.create();
        DeviceKernels kernels = new DeviceKernels(StaticBindingAbi.of(CudaKernels.class, () -> ""), memory);
        CudaDevice device = new CudaDevice("gpu0", kernels,
                new PlannedGemm(kernels, new CublasGemm(memory), CudaDevice.tf32FromProperties()));
        if (!CudaDevice.dnnFromProperties().equals("off")) {
            CudnnDnn.Availability dnn = CudnnDnn.probe();           // logged at DEBUG; never throws
            if (dnn.conv()) device = device.withDnn(new CudnnDnn(memory, dnn.sdpa(), CudaDevice.tf32FromProperties()));
        }
        return new CudaBackend(device);
    }
}
