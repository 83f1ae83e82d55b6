/*
 * What runs a GemmCall: cuBLAS on a GPU (gpu.CublasGemm), OpenBLAS with the same arguments on the emulated device
 * (HostGemmEngine). PlannedGemm, the shared caller, decides layouts and element types; an engine only executes.
 */
package dev.perennial.cuda;

/** Executes one planned cuBLAS-style product; C is fully written when it returns (the stream is synchronised). */
public interface GemmEngine {
    void run(GemmCall call);
}
