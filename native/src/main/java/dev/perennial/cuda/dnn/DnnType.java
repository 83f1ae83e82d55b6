/*
 * Element types of the tensors a cuDNN descriptor names (cudnnDataType_t): the subset the patch-embedding
 * convolution and the SDPA graphs use. Shared by the real engine (gpu.CudnnDnn maps each to its CUDNN_DATA_* code)
 * and the host stand-in (EmulatedDnn reads and rounds by it), so both see the same type for every tensor.
 */
package dev.perennial.cuda.dnn;

/** cudnnDataType_t values used by the project's cuDNN graphs, with their element size in bytes. */
public enum DnnType {
    /** CUDNN_DATA_FLOAT */
    F32(4),
    /** CUDNN_DATA_BFLOAT16 */
    BF16(2),
    /** CUDNN_DATA_INT32 (sequence lengths, generated indices) */
    I32(4),
    /** CUDNN_DATA_BOOLEAN (mask predicates; virtual only) */
    BOOL(1);

    private final int bytes;

    DnnType(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }
}
