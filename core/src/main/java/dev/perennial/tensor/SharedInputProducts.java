/*
 * Products of one left operand with several right operands, x·B_1, …, x·B_n: the query, key and value projections of
 * an attention layer read the same normed hidden state, as do the gate and up projections of LLaMA's MLP. Declared as
 * an Op (docs/architecture.md, "Ops with a home") so that a backend may run the n products as one job; the fallback
 * is n matmul calls, which is also what a recording (autograd) backend gets, so gradients are unaffected.
 *
 * Why: in a decode step each product is a one-row product of ≈ 0.1 ms that the CPU backend splits across its threads;
 * handing the threads three (or two) weights at once saves the hand-overs between them (docs/performance.md,
 * "Decode kernels").
 */
package dev.perennial.tensor;

/**
 * {@code products(x, b_1, ..., b_n)} returns {@code matmul(x, b_i)} for every i (the same values as n matmul calls).
 * <p>Implementations must be thread-safe as Backend.matmul is.
 */
@FunctionalInterface
public interface SharedInputProducts {
    /** The op; backends without an implementation of their own get n matmul calls. */
    Op<SharedInputProducts> OP = Op.declare("sharedInputProducts", SharedInputProducts.class, be -> (x, bs) -> {
        Tensor[] out = new Tensor[bs.length];
        for (int i = 0; i < bs.length; i++) out[i] = be.matmul(x, bs[i]);
        return out;
    });

    /** x [..., k] against each b_i [k, n_i] → [..., n_i]. */
    Tensor[] products(Tensor x, Tensor... bs);
}
