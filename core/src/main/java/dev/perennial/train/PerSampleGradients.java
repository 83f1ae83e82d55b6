/*
 * Per-sample gradients of LoRA adapters (ADAPT-∞'s sample vectors): for a batch, the
 * gradient of each sample's own mean loss with respect to the A and B matrices of chosen adapters, from ONE
 * backward pass of the batch instead of one per sample.
 *
 * Samples do not interact in the model (padding is masked), so with L = Σ_b loss_b the gradient reaching the
 * adapter branch output Δy = s·h·Bᵀ (h = x·Aᵀ, s = alpha / r) at sample b's positions is exactly d loss_b / d Δy_b.
 * With g = s · that gradient (the gradient of h·Bᵀ), each sample's weight gradients are outer products of its
 * own saved activations and output gradients:
 *     dB_b = Σ_t g[b,t]ᵀ h[b,t]          dA_b = Σ_t (g[b,t] · B)ᵀ x[b,t]
 * (one batched matmul each). Only the chosen adapters are watched, so nothing below the lowest chosen layer
 * is recorded or differentiated. Checked against per-sample backward passes in PerSampleGradientsTest.
 */
package dev.perennial.train;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-sample gradients of LoRA adapters from ONE backward pass of a batch: for each chosen adapter,
 * {@code dA [B, r, in]} and {@code dB [B, out, r]} of each sample's own mean response-token loss (zeros for a sample
 * without supervised tokens), optionally with the forward pass's output.
 * <p>Stateless (no static state), but a call turns on activation capture in the adapters it is given: calls that share
 * adapters, or a call on a model in use elsewhere, must not overlap.
 */
public final class PerSampleGradients {
    private PerSampleGradients() {}

    /** Per-sample gradients of one adapter: dA [B, r, in] and dB [B, out, r]. */
    public record AdapterGradients(Tensor a, Tensor b) {}

    /** The per-sample gradients together with the forward pass they came from (logits, hidden states). */
    public record WithOutput(LlavaModel.Output output, Map<String, AdapterGradients> gradients) {}

    /**
     * @param adapters the adapters to differentiate, by module name (others stay frozen)
     * @return per module name, the per-sample gradients (zeros for a sample without supervised tokens)
     */
    public static Map<String, AdapterGradients> compute(LlavaModel model, Backend be, List<long[]> ids, Tensor pixels,
                                                        List<long[]> labels, Map<String, LoraAdapter> adapters) {
        return computeWithOutput(model, be, ids, pixels, labels, adapters).gradients();
    }

    /** As compute(), also returning the forward pass (ADAPT-∞ scores its logits: one pass for both). */
    public static WithOutput computeWithOutput(LlavaModel model, Backend be, List<long[]> ids, Tensor pixels,
                                               List<long[]> labels, Map<String, LoraAdapter> adapters) {
        Tape tape = new Tape();
        GradBackend gb = new GradBackend(be, tape);
        for (LoraAdapter ad : adapters.values()) {
            tape.watch(ad.a());
            tape.watch(ad.b());
            ad.capture(true);
        }
        try {
            LlavaModel.Output out = model.forward(gb, ids, pixels, labels);
            int b = out.inputs().batch(), t = out.inputs().length();
            Tensor weights = perSampleMeanWeights(out.inputs().labels(), b, t, model.config().ignoreIndex());
            Tensor loss = gb.sum(gb.contiguous(gb.mul(out.perTokenLoss(), weights)).reshape(b * (t - 1)), 0, false);
            keep(tape, out);                                  // backward frees what it no longer needs; the scorers read these
            for (LoraAdapter ad : adapters.values()) {
                LoraAdapter.Activations act = ad.captured();
                tape.keep(act.x());
                tape.keep(act.h());
                tape.keep(act.z());
            }
            Gradients grads = tape.backward(loss);
            Map<String, AdapterGradients> result = new LinkedHashMap<>();
            for (var e : adapters.entrySet()) {
                LoraAdapter ad = e.getValue();
                LoraAdapter.Activations act = ad.captured();
                Tensor gz = grads.of(act.z());                                              // [B, T, out] d loss / d Δy
                if (gz == null) gz = Tensor.zeros(act.z().shape());
                Tensor gs = be.scale(gz, ad.scaling());                                     // d loss / d (h·Bᵀ)
                Tensor db = be.matmul(gs.transpose(-1, -2), act.h());                       // [B, out, r]
                Tensor da = be.matmul(be.matmul(gs, ad.b()).transpose(-1, -2), act.x());    // [B, r, in]
                result.put(e.getKey(), new AdapterGradients(da, db));
            }
            return new WithOutput(out, result);
        } finally {
            for (LoraAdapter ad : adapters.values()) ad.capture(false);
        }
    }

    /** Keeps the forward pass's outputs (logits, per-token losses, every hidden state) through backward. */
    private static void keep(Tape tape, LlavaModel.Output out) {
        tape.keep(out.logits());
        tape.keep(out.perTokenLoss());
        tape.keep(out.inputs().embeds());
        tape.keep(out.hidden().normed());
        out.hidden().layerOutputs().forEach(tape::keep);
    }

    /** [B, T-1] weights 1/n_b at sample b's supervised shifted positions, 0 elsewhere: Σ weights·CE = Σ_b loss_b. */
    private static Tensor perSampleMeanWeights(Tensor labels, int b, int t, int ignore) {
        Tensor w = Tensor.zeros(b, t - 1);
        for (int s = 0; s < b; s++) {
            long[] row = labels.select(0, s).toLongArray();
            int n = 0;
            for (int j = 1; j < t; j++) if (row[j] != ignore) n++;
            for (int j = 1; j < t; j++) if (row[j] != ignore) w.setFloat(1f / n, s, j - 1);
        }
        return w;
    }
}
