/*
 * The gradients of a normalisation layer (RMSNorm, LayerNorm) for an output gradient dy: dx [..., D] and the
 * parameter gradients dweight / dbias [D] (null where the layer has no such parameter). What the backward kernels
 * of every backend return (autograd.FusedBackward).
 */
package dev.perennial.tensor;

/**
 * The gradients of a normalisation layer (RMSNorm, LayerNorm) for an output gradient dy: dx {@code [..., D]}, dweight
 * and dbias {@code [D]} (null where the layer has no such parameter), as every backend's backward kernels return them.
 * <p>A value carrier; its tensors are not copied: do not modify them while another thread reads them.
 */
public record NormGradients(Tensor dx, Tensor dweight, Tensor dbias) {}
