/*
 * The unary element-wise ops of the strided kernel (cuda/src/main/cuda/strided.h), one per Backend op, with the
 * launcher's op codes (PN_UNARY_*). COPY is the widening copy (any view of F32/F16/BF16 -> contiguous F32);
 * SCALE multiplies by the float argument of DeviceKernels.unary. Each op's meaning is ReferenceBackend's.
 */
package dev.perennial.cuda;

public enum UnaryOp {
    COPY(0), EXP(1), LOG(2), SQRT(3), TANH(4), ERF(5), GELU(6), GELU_TANH(7), QUICK_GELU(8), SILU(9), SCALE(10);

    private final int code;

    UnaryOp(int code) { this.code = code; }

    /** The PN_UNARY_* code of strided.h. */
    public int code() { return code; }
}
