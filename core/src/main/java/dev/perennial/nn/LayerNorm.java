/* LayerNorm over the last dim with affine weight and bias [D] (CLIP). */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

public record LayerNorm(Tensor weight, Tensor bias, float eps) {
    /** x [..., D] -> [..., D] */
    public Tensor forward(Backend be, Tensor x) {
        return be.layerNorm(x, weight, bias, eps);
    }
}
