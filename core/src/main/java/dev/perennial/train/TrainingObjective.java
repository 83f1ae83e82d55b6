/*
 * What one micro-batch contributes to training: a forward pass, a loss and its gradients with respect to the
 * trainable tensors. Trainer owns the loop (batching, accumulation, clipping, schedule, AdamW, checkpoints,
 * resume) and asks an objective for each micro-batch. The default is LLaVA's language-model loss with an optional
 * fixed prompt (TrainingStep); prompt-pool methods such as ModalPrompt plug in their own (per-sample prompt
 * selection, key-alignment terms).
 */
package dev.perennial.train;

import dev.perennial.data.TrainingExample;

import java.util.List;

/**
 * What one micro-batch contributes to training: {@code run} does the forward and backward pass of the examples at
 * {@code batch} and returns the loss, the supervised token count and float32 gradients per trainable tensor;
 * {@code checkpointState} and {@code restoreState} carry the objective's running state across a resume.
 * <p>Thread-safety is the implementation's; {@code Trainer} calls its objective from one thread, and the
 * implementations ({@code Trainer.languageModelLoss}, {@code PromptObjective}) run training passes over a shared model,
 * so do not call one concurrently.
 */
@FunctionalInterface
public interface TrainingObjective {
    /**
     * Forward and backward of the micro-batch {@code examples[batch[0]], examples[batch[1]], ...}.
     * @param examples the whole training list (objectives may keep per-example data aligned with it)
     * @param batch    positions into {@code examples}
     * @return the loss, supervised token count and gradients (float32, owned by the caller), as TrainingStep
     */
    TrainingStep.Result run(List<TrainingExample> examples, int[] batch);

    /**
     * The backend the objective computes on: its gradients live there, and the trainer accumulates, clips and
     * applies them (AdamW) there too. The CPU unless the objective says otherwise.
     */
    default dev.perennial.tensor.Backend backend() { return new dev.perennial.tensor.CpuBackend(); }

    /**
     * What the objective accumulates across steps (e.g. counts it reports), saved with each checkpoint as JSON: Maps,
     * Lists, Strings, numbers and booleans; null: nothing.
     */
    default java.util.Map<String, Object> checkpointState() { return null; }

    /**
     * Continues from what checkpointState() returned, read back from JSON (numbers may come back as another Number
     * type); null when the checkpoint holds none.
     */
    default void restoreState(java.util.Map<String, Object> state) {}
}
