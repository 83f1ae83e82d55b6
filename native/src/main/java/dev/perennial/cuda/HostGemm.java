/*
 * DeviceGemm of the emulated device: the CPU backend's GEMM (OpenBLAS), standing in for cuBLAS (docs/methods/llava-numerics.md,
 * "The emulated CUDA device"). Like cuBLAS it reads its operands where they lie in device memory (host operands are copied in
 * through DeviceMemory.resident, read-only weights once) and writes the product into device memory, so the
 * emulated device transfers what a GPU would.
 */
package dev.perennial.cuda;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

final class HostGemm implements DeviceGemm {
    private final CpuBackend cpu;
    private final DeviceMemory memory;

    HostGemm(CpuBackend cpu, DeviceMemory memory) {
        this.cpu = cpu;
        this.memory = memory;
    }

    @Override
    public Tensor matmul(Tensor a, Tensor b) {
        return cpu.matmul(memory.resident(a), memory.resident(b), shape -> memory.empty(DType.F32, shape));
    }
}
