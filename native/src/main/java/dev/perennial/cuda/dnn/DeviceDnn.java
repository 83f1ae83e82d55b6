/*
 * cuDNN as the CUDA backend sees it (as GemmEngine is cuBLAS): a convolution from a ConvProblem, and the execution
 * of a DnnGraph with a variant pack (uid -> device tensor). Two implementations: gpu.CudnnDnn (cuDNN through the
 * JavaCPP preset: the legacy convolution API, the backend graph API for the graphs) and EmulatedDnn (the host
 * stand-in that interprets the same problems and graphs on the emulated device, as OpenBLAS stands in for cuBLAS).
 * PlannedDnn turns Backend-level calls into these problems, graphs and packs for both.
 */
package dev.perennial.cuda.dnn;

import dev.perennial.tensor.Tensor;

import java.util.Map;

/** A cuDNN engine: convolution forward and operation-graph execution on device tensors. */
public interface DeviceDnn {

    /** What runs the calls (for logs): "cuDNN 91900" or "emulated". */
    String name();

    /** Whether this engine runs the SDPA graphs at all (cuDNN: its probe planned them). */
    boolean sdpa();

    /** Whether this engine can run g (cuDNN: an execution plan exists for it; built once and kept). */
    boolean supports(DnnGraph g);

    /**
     * y = conv(x, w) as cuDNN's cross-correlation: x with p's sizes and strides, w [k, c, r, s] and y [n, k, p, q]
     * packed, all three of p's type, in device memory.
     */
    void convForward(ConvProblem p, Tensor x, Tensor w, Tensor y);

    /**
     * Runs g, binding each of g.boundUids() to the first element of its tensor in pack (device memory, the
     * tensor's dtype matching the descriptor's type); by-value scalars come from g itself.
     */
    void execute(DnnGraph g, Map<Long, Tensor> pack);
}
