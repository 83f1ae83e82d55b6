/*
 * A backend with dedicated backward kernels for the row-wise ops whose gradients GradBackend otherwise composes
 * from several element-wise ops and reductions (each a pass over memory). GradBackend uses them when its inner
 * backend implements this; the results are exactly the gradients of GradBackend's documented rules.
 */
package dev.perennial.tensor;

public interface FusedBackward {

    /** dx [..., D] and the parameter gradients dweight / dbias [D] (null where the parameter is null). */
    record NormGradients(Tensor dx, Tensor dweight, Tensor dbias) {}

    /** Gradients of rmsNorm(x, weight, eps) given dy. */
    NormGradients rmsNormBackward(Tensor dy, Tensor x, Tensor weight, float eps);

    /** Gradients of layerNorm(x, weight, bias, eps) given dy (dbias when bias is not null). */
    NormGradients layerNormBackward(Tensor dy, Tensor x, Tensor weight, Tensor bias, float eps);

    /** d/dx of rope(x, positions, theta) given dy: the inverse rotation. */
    Tensor ropeBackward(Tensor dy, Tensor positions, float theta);

    /** dlogits [N, V] of crossEntropy(logits, targets, ignoreIndex) given dloss [N]; zero rows where ignored. */
    Tensor crossEntropyBackward(Tensor logits, Tensor targets, int ignoreIndex, Tensor dloss);
}
