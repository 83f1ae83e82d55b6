/*
 * The binary element-wise ops of the strided kernel (cuda/src/main/cuda/strided.h) with the launcher's op codes
 * (PN_BINARY_*). Operands broadcast with NumPy rules; SWIGLU is silu(a) * b (Backend.swiglu(gate, up)).
 */
package dev.perennial.cuda;

public enum BinaryOp {
    ADD(0), SUB(1), MUL(2), DIV(3), SWIGLU(4);

    private final int code;

    BinaryOp(int code) { this.code = code; }

    /** The PN_BINARY_* code of strided.h. */
    public int code() { return code; }
}
