/*
 * The ViT patch embedding as an accelerated operation with a home (docs/architecture.md, "Ops with a home"): a
 * Conv2d with kernel = stride = patch and no bias, from pixels [B, C, S, S] to patch embeddings [B, (S/p)^2, D]
 * with patches row-major. Declared here because ClipVisionTower needs it; the fallback is null, so the tower
 * composes it from Backend ops (patches gathered by one contiguous copy, then one matmul) wherever a backend offers
 * nothing — the CUDA backend offers cuDNN's convolution when its cuDNN route is on (docs/kernels.md "cuDNN").
 */
package dev.perennial.llava;

import dev.perennial.tensor.Op;
import dev.perennial.tensor.Tensor;

/**
 * The patch-embedding convolution: pixels [B, C, S, S] and weight [D, C, p, p] to float32 [B, (S/p)^2, D].
 * <p>Thread-safety is the implementation's: the CUDA backend's serialises its cuDNN calls, so it is thread-safe.
 */
public interface PatchEmbedding {

    /** Declared with no fallback: a backend without its own implementation gets the composed path. */
    Op<PatchEmbedding> OP = Op.declare("patchEmbedding", PatchEmbedding.class, be -> null);

    /**
     * @param pixels images [B, C, S, S] (S a multiple of patch)
     * @param weight the Conv2d weight [D, C, patch, patch] (F32, F16 or BF16)
     * @return a new float32 tensor [B, (S/patch)^2, D], patches in row-major order
     */
    Tensor embed(Tensor pixels, Tensor weight, int patch);
}
