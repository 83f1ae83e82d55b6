/*
 * The training objective of a prompt pool (docs/methods/modalprompt.md §6): per micro-batch, select entries for each sample
 * from its frozen queries (training rule, §5.2), insert the composed prompts, run the frozen LLaVA model, and add
 * the key loss:  L = L_LM + L_key  (ModalPrompt: L_key = L_img + L_txt = sum_m (1 - mean_b cos(q_m,b, k_t))).
 * Gradients reach only the pool's trainable tensors (the current entry's prompt and key MLP for ModalPrompt): the
 * LLM, projector and both CLIP towers are never watched, so they stay bit-identical (§12.18).
 *
 * The loss "terms" reported as supervisedTokens are the LM's supervised tokens plus B when there is a key loss, so
 * a batch without answer tokens still trains the keys (§12.20) and a non-finite loss is reported, not skipped.
 */
package dev.perennial.prompt;

import dev.perennial.autograd.GradBackend;
import dev.perennial.autograd.Gradients;
import dev.perennial.autograd.Tape;
import dev.perennial.data.TrainingExample;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.train.MicroBatch;
import dev.perennial.train.TrainingObjective;
import dev.perennial.train.TrainingStep;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The training objective of a prompt pool: per micro-batch, entries are selected from each example's frozen query (all
 * queries {@code [M, N, d]}, aligned with the training list), the composed prompts are inserted, and the loss is the
 * language-model loss plus the key loss; gradients reach only the pool's trainable tensors.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); each {@code run} invalidates the
 * pool's cached keys and reads tensors the optimizer updates in place.
 */
public final class PromptObjective implements TrainingObjective {
    private final LlavaModel model;
    private final Backend be;
    private final PromptPool pool;
    private final int current;
    private final float[] queries;        // [M, N, d] aligned with the training list
    private final int n;
    private final Map<String, Tensor> params;
    private final SelectionStats stats;

    /**
     * @param queries [M, N, d] the frozen queries of the N training examples, in the order of the list Trainer gets
     * @param stats   receives every training selection (may be null)
     */
    public PromptObjective(LlavaModel model, Backend be, PromptPool pool, int current, Tensor queries, SelectionStats stats) {
        if (queries.rank() != 3 || queries.size(0) != pool.config().modalities() || queries.size(2) != pool.config().keyDim()) {
            throw new IllegalArgumentException("queries must be [M, N, d], got " + queries);
        }
        this.model = model;
        this.be = be;
        this.pool = pool;
        this.current = current;
        this.queries = queries.to(DType.F32).contiguous().toFloatArray();
        this.n = queries.size(1);
        this.params = pool.trainable(current);
        this.stats = stats;
    }

    @Override
    public Backend backend() { return be; }

    /** The tensors this objective differentiates, by name (hand them to the Trainer). */
    public Map<String, Tensor> parameters() { return params; }

    /** The queries of the examples at {@code batch}: [M, b, d]. */
    Tensor gather(int[] batch) {
        int m = pool.config().modalities(), d = pool.config().keyDim(), b = batch.length;
        float[] out = new float[m * b * d];
        for (int q = 0; q < m; q++) {
            for (int i = 0; i < b; i++) {
                if (batch[i] < 0 || batch[i] >= n) throw new IllegalArgumentException("example " + batch[i] + " has no query (" + n + " queries)");
                System.arraycopy(queries, (q * n + batch[i]) * d, out, (q * b + i) * d, d);
            }
        }
        return Tensor.of(out, m, b, d);
    }

    @Override
    public TrainingStep.Result run(List<TrainingExample> examples, int[] batch) {
        if (examples.size() != n) throw new IllegalArgumentException(examples.size() + " examples but " + n + " queries");
        pool.invalidateKeys(current);                                       // the optimizer may have moved them
        Tensor q = gather(batch);
        PromptSelection sel = pool.selectForTraining(be, q, current);
        if (stats != null) stats.add(sel, null);
        try (TensorScope scope = TensorScope.open()) {
            Tape tape = new Tape();
            params.values().forEach(tape::watch);
            Backend gb = new GradBackend(be, tape);
            MicroBatch mb = MicroBatch.of(examples, batch, be);
            List<PromptInsertion> inserts = pool.compose(gb, sel);
            LlavaModel.Output out = model.forwardLoss(gb, mb.ids(), mb.pixels(), mb.labels(), inserts);
            Tensor keyLoss = pool.keyLoss(gb, q, sel, current);
            Tensor total = out.lossTensor() == null ? keyLoss : keyLoss == null ? out.lossTensor() : gb.add(out.lossTensor(), keyLoss);
            int terms = out.supervisedTokens() + (keyLoss == null ? 0 : batch.length);
            if (total == null) return new TrainingStep.Result(Double.NaN, 0, Map.of());
            double loss = total.item();
            if (!Double.isFinite(loss)) return new TrainingStep.Result(loss, Math.max(terms, 1), Map.of());
            Gradients grads = tape.backward(total);
            Map<String, Tensor> g = new LinkedHashMap<>();
            for (var e : params.entrySet()) {
                Tensor gi = grads.of(e.getValue());
                g.put(e.getKey(), scope.keep(gi == null ? be.zeros(DType.F32, e.getValue().shape()) : TrainingStep.ownCopy(be, gi)));
            }
            return new TrainingStep.Result(loss, terms, g);
        }
    }

    /** The training-selection counts so far, so a resumed task reports the whole run's. */
    @Override
    public java.util.Map<String, Object> checkpointState() {
        return stats == null ? null : stats.report();
    }

    @Override
    public void restoreState(java.util.Map<String, Object> state) {
        if (stats != null) stats.restore(state);
    }
}
