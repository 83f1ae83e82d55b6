/* RMSNorm over the last dim, x · rsqrt(mean(x²) + eps) · weight, computed in float32 (LLaMA). */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

/**
 * RMSNorm over the last dimension, x · rsqrt(mean(x²) + eps) · weight with weight {@code [D]}, in float32 (LLaMA):
 * {@code forward} maps x {@code [..., D]} to {@code [..., D]}.
 * <p>A value carrier; its weight tensor is not copied: {@code forward} only reads it, so several threads may call it
 * (with a thread-safe backend) as long as no thread writes the weight meanwhile.
 */
public record RmsNorm(Tensor weight, float eps) {
    /** x [..., D] -> [..., D] */
    public Tensor forward(Backend be, Tensor x) {
        return be.rmsNorm(x, weight, eps);
    }
}
