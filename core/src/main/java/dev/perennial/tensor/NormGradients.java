/*
 * The gradients of a normalisation layer (RMSNorm, LayerNorm) for an output gradient dy: dx [..., D] and the
 * parameter gradients dweight / dbias [D] (null where the layer has no such parameter). What the backward kernels
 * of every backend return (autograd.FusedBackward).
 */
package dev.perennial.tensor;

public record NormGradients(Tensor dx, Tensor dweight, Tensor dbias) {}
