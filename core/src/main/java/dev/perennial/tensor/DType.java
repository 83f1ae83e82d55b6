/*
 * Element types a tensor can be stored in.
 *
 * Compute is float32 (F32); F16 and BF16 exist so that checkpoint weights can stay in their stored precision,
 * memory-mapped, and be widened tile by tile inside GEMM (see CpuBackend#matmul). I64/I32 carry token ids,
 * labels and positions; the remaining types are here so that every common safetensors/npy dtype can be read.
 */
package dev.perennial.tensor;

/**
 * The element types a tensor's storage can hold, with their size in bytes: F32 for compute, F16 and BF16 for weights
 * kept in their stored precision, I64 and I32 for ids, labels and positions, and the other safetensors and npy types.
 * <p>Immutable (an enum).
 */
public enum DType {
    F32(4, true), F16(2, true), BF16(2, true), F64(8, true),
    I64(8, false), I32(4, false), I16(2, false), I8(1, false), U8(1, false), BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int byteSize() { return byteSize; }

    /** True for the floating-point types. */
    public boolean isFloating() { return floating; }

    /** True for the integer types usable as indices (token ids, labels, positions). */
    public boolean isIndex() { return this == I64 || this == I32; }
}
