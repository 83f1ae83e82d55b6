/*
 * One operation node of a cuDNN operation graph, in the vocabulary of cuDNN's backend API: a matmul
 * (CUDNN_BACKEND_OPERATION_MATMUL_DESCRIPTOR with its CUDNN_BACKEND_MATMUL_DESCRIPTOR), a pointwise op
 * (CUDNN_BACKEND_OPERATION_POINTWISE_DESCRIPTOR with its CUDNN_BACKEND_POINTWISE_DESCRIPTOR), a reduction
 * (CUDNN_BACKEND_OPERATION_REDUCTION_DESCRIPTOR) or a reshape (CUDNN_BACKEND_OPERATION_RESHAPE_DESCRIPTOR). Operands
 * are tensor uids of the graph. The semantics the host stand-in implements are cuDNN's documented ones:
 * matmul batches over the leading dims with broadcasting (a batch dim n of one operand against m of the other,
 * m a multiple of n, maps index i to i / (m / n): how GQA heads share a key head), pointwise ops broadcast size-1
 * dims, BINARY_SELECT is y = t ? x : b, GEN_INDEX writes the index along `axis`, a reduction sums or maxes each
 * input dim whose output dim is smaller (to 1, or by groups of in / out consecutive indices), a reshape is a new
 * view of the same elements (the transposes of the SDPA graphs).
 */
package dev.perennial.cuda.dnn;

/** An operation of a {@link DnnGraph}. */
public sealed interface DnnOp {

    /** A short name, unique in its graph (the frontend's node names), for logs and errors. */
    String name();

    /** The output tensor's uid. */
    long output();

    /** Pointwise modes used (cudnnPointwiseMode_t). */
    enum PointwiseMode { ADD, SUB, MUL, DIV, EXP, LOG, IDENTITY, GEN_INDEX, CMP_GE, CMP_LT, LOGICAL_AND, BINARY_SELECT }

    /** Reduction operators used (cudnnReduceTensorOp_t). */
    enum ReductionMode { ADD, MAX }

    /**
     * c = a · b over the last two dims, batched over the others (compute type F32). The overrides are uids of
     * [B, 1, 1, 1] INT32 tensors bounding m, n or k per batch (padding), or 0 when unset.
     */
    record Matmul(String name, long a, long b, long output, long mOverride, long nOverride, long kOverride)
            implements DnnOp {}

    /**
     * y = mode(x[, b[, t]]) with math precision {@code math}; b is 0 for unary modes, t is the predicate of
     * BINARY_SELECT (0 otherwise); axis is GEN_INDEX's dimension (-1 otherwise).
     */
    record Pointwise(String name, PointwiseMode mode, long x, long b, long t, long output, DnnType math, int axis)
            implements DnnOp {}

    /** y = reduce(x) over the dims where y is smaller than x (compute type F32). */
    record Reduction(String name, ReductionMode mode, long x, long output) implements DnnOp {}

    /** y = x as a different view (dims and strides of y) of the same elements. */
    record Reshape(String name, long x, long output) implements DnnOp {}
}
