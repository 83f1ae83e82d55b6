/*
 * Dedicated backward kernels for the row-wise ops whose gradients GradBackend otherwise composes from several
 * element-wise ops and reductions (each a pass over memory): an Op (docs/architecture.md, "Ops with a home").
 * The CPU backend's are CpuBackend's one-pass row kernels (CpuFusedBackward); CudaBackend registers its norms,
 * rope and cross_entropy kernels; other backends get none and GradBackend composes. The results are exactly the
 * gradients of GradBackend's documented rules.
 */
package dev.perennial.autograd;

import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.NormGradients;
import dev.perennial.tensor.Op;
import dev.perennial.tensor.Tensor;

/**
 * An {@link Op} of dedicated backward kernels for RMSNorm, LayerNorm, RoPE and cross-entropy, which {@code GradBackend}
 * uses instead of composing these gradients from element-wise ops: dx has x's shape {@code [..., D]}, dweight and dbias
 * {@code [D]}; cross-entropy gives dlogits {@code [N, V]} for dloss {@code [N]}; results are float32.
 * <p>Thread-safety is the implementation's: CpuBackend's row kernels (this op's fallback on the CPU) are thread-safe
 * like {@link CpuBackend}; CudaBackend (perennial-native) registers its own kernels.
 */
public interface FusedBackward {
    /** The op: the backend's registered kernels, CpuBackend's row kernels on the CPU, else none (compose). */
    Op<FusedBackward> OP = Op.declare("fusedBackward", FusedBackward.class, be -> be instanceof CpuBackend cpu ? new FusedBackward() {
        @Override
        public NormGradients rmsNormBackward(Tensor dy, Tensor x, Tensor weight, float eps) { return cpu.rmsNormBackward(dy, x, weight, eps); }

        @Override
        public NormGradients layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps) {
            return cpu.layerNormBackward(dy, x, weight, bias, eps);
        }

        @Override
        public Tensor ropeBackward(Tensor dy, Tensor positions, float theta) { return cpu.ropeBackward(dy, positions, theta); }

        @Override
        public Tensor crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor dloss) {
            return cpu.crossEntropyBackward(logits, targets, ignoreIndex, dloss);
        }
    } : null);


    /** Gradients of rmsNorm(x, weight, eps) given dy. */
    NormGradients rmsNormBackward(Tensor dy, Tensor x, Tensor weight, float eps);

    /** Gradients of layerNorm(x, weight, bias, eps) given dy (dbias when bias is not null). */
    NormGradients layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps);

    /** d/dx of rope(x, positions, theta) given dy: the inverse rotation. */
    Tensor ropeBackward(Tensor dy, Tensor positions, float theta);

    /** dlogits [N, V] of crossEntropy(logits, targets, ignoreIndex) given dloss [N]; zero rows where ignored. */
    Tensor crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor dloss);
}
