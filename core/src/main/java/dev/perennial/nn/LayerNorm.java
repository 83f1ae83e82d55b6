/* LayerNorm over the last dim with affine weight and bias [D] (CLIP). */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

/**
 * LayerNorm over the last dimension with affine weight and bias {@code [D]} and epsilon {@code eps}: {@code forward}
 * maps x {@code [..., D]} to float32 {@code [..., D]}.
 * <p>A value carrier; its tensors are not copied: {@code forward} only reads them, so several threads may call it (with
 * a thread-safe backend) as long as no thread writes the weight or bias meanwhile.
 */
public record LayerNorm(Tensor weight, Tensor bias, float eps) {
    /** x [..., D] -> [..., D] */
    public Tensor forward(Backend be, Tensor x) {
        return be.layerNorm(x, weight, bias, eps);
    }
}
