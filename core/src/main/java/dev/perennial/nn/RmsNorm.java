/* RMSNorm over the last dim, x · rsqrt(mean(x²) + eps) · weight, computed in float32 (LLaMA). */
package dev.perennial.nn;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

public record RmsNorm(Tensor weight, float eps) {
    /** x [..., D] -> [..., D] */
    public Tensor forward(Backend be, Tensor x) {
        return be.rmsNorm(x, weight, eps);
    }
}
