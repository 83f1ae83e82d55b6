/*
 * One forward and backward pass of a micro-batch with only the trainable tensors watched (the unit of work of
 * Trainer, and what `perennial bench --train` and the training benchmark time). Runs in a TensorScope: the
 * step's intermediates are freed on return, and the returned gradients (float32 copies) belong to the caller.
 */
package dev.perennial.train;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One forward and backward pass of a micro-batch with only the given trainable tensors watched: {@code run} returns the
 * mean loss in nats over the supervised tokens (NaN when there are none), their count, and float32 gradients per tensor
 * that the caller owns; intermediates are freed by a {@code TensorScope}.
 * <p>Stateless (no static state; each call has its own tape and scope), but a call is a training pass over the model:
 * do not run two on one model at once (LoRA dropout state is unsynchronized).
 */
public final class TrainingStep {
    private TrainingStep() {}

    /**
     * @param loss             mean loss over the supervised tokens (NaN when there are none)
     * @param supervisedTokens how many tokens the loss averages; 0 means no gradients
     * @param gradients        d loss / d each trainable tensor, by the same names (zeros where no gradient arrived);
     *                         empty when there is nothing to differentiate or the loss is not finite
     */
    public record Result(double loss, int supervisedTokens, Map<String, Tensor> gradients) {}

    public static Result run(LlavaModel model, Backend be, Map<String, Tensor> params, PromptInsertion prompt,
                             List<long[]> ids, Tensor pixels, List<long[]> labels) {
        try (TensorScope scope = TensorScope.open()) {
            Tape tape = new Tape();
            params.values().forEach(tape::watch);
            LlavaModel.Output out = model.forwardLoss(new GradBackend(be, tape), ids, pixels, labels,
                    prompt == null ? null : java.util.Collections.nCopies(ids.size(), prompt));
            if (out.lossTensor() == null || !Double.isFinite(out.loss())) return new Result(out.loss(), out.supervisedTokens(), Map.of());
            Gradients grads = tape.backward(out.lossTensor());
            Map<String, Tensor> g = new LinkedHashMap<>();
            for (var e : params.entrySet()) {
                Tensor gi = grads.of(e.getValue());
                g.put(e.getKey(), scope.keep(gi == null ? be.zeros(DType.F32, e.getValue().shape()) : ownCopy(be, gi)));
            }
            return new Result(out.loss(), out.supervisedTokens(), g);
        }
    }

    /**
     * The gradient as a dense tensor of its own: the buffer itself when it already is one (no copy of 0.9 GB for a
     * full step), else a copy made by {@code be} (in its memory).
     */
    public static Tensor ownCopy(Backend be, Tensor g) {
        if (g.dtype() == DType.F32 && g.isContiguous() && g.offset() == 0 && g.numel() == g.storage().length()) return g;
        if (g.dtype() == DType.F32) {
            Tensor c = be.contiguous(g);
            if (c != g && c.offset() == 0 && c.numel() == c.storage().length()) return c;
        }
        return g.to(DType.F32);
    }
}
