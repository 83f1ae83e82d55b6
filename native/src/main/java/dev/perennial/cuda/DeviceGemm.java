/*
 * Matrix products on a device, with Backend.matmul's contract (batched, broadcast batch dims, transposed and
 * F16/BF16 operands accepted; the result a new contiguous F32 tensor in device-accessible memory). PlannedGemm is
 * the implementation on every device: its calls run on cuBLAS on a GPU (gpu.CublasGemm) and on an OpenBLAS stand-in
 * on the emulated device (HostGemmEngine).
 */
package dev.perennial.cuda;

import dev.perennial.tensor.Tensor;

public interface DeviceGemm {
    Tensor matmul(Tensor a, Tensor b);
}
