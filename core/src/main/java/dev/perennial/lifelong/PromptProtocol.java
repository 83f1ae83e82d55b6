/*
 * How much data and how many epochs a prompt method trains on per task (issue of the papers' protocols; ModalPrompt's
 * in docs/methods/modalprompt.md §6.3): the paper trains each task's prompts on all of the task's training data for
 * 10 epochs at its own learning rate, whereas the LoRA strategies of a run share one per-step budget and epoch count.
 * A prompt strategy therefore owns its protocol:
 *
 *   - "paper" (the default of run files): a fraction of the task's training samples (default 1.0, all of them,
 *     drawn without replacement by the step's seed when below 1) for `epochs` epochs (default 10);
 *   - "equal_budget": the run's per-step budget and epochs, like every LoRA strategy — the demo's choice, so that
 *     its table compares methods on the same number of training samples.
 *
 * The learning rate is each plug-in's own setting ("lr"), in both protocols.
 */
package dev.perennial.lifelong;

import java.util.Set;

/**
 * A prompt strategy's per-task training protocol: all (or a fraction) of the task's data for its own epochs, or the
 * run's shared budget and epochs ({@code equalBudget}).
 * @param equalBudget  use the run's budget and epochs instead of the fraction and epochs below
 * @param dataFraction fraction of the task's training samples, in (0, 1]
 * @param epochs       passes over them
 * <p>Immutable; safe to share between threads.
 */
public record PromptProtocol(boolean equalBudget, double dataFraction, int epochs) {
    /** The settings keys this record reads, beside each plug-in's own. */
    static final Set<String> KEYS = Set.of("protocol", "data_fraction", "epochs");

    public PromptProtocol {
        if (!(dataFraction > 0 && dataFraction <= 1)) throw new IllegalArgumentException("\"data_fraction\" must be in (0, 1], got " + dataFraction);
        if (epochs < 1) throw new IllegalArgumentException("\"epochs\" must be at least 1, got " + epochs);
    }

    /** The papers' protocol: all of the task's data, 10 epochs. */
    public static PromptProtocol paper() { return new PromptProtocol(false, 1.0, 10); }

    /** The run's budget and epochs (the demo's choice). */
    public static PromptProtocol sharedBudget() { return new PromptProtocol(true, 1.0, 10); }

    /** Reads "protocol" ("paper" or "equal_budget"), "data_fraction" and "epochs" from a plug-in's settings object. */
    static PromptProtocol parse(JsonSettings j, String owner) {
        String p = j.string("protocol", "paper");
        if (!p.equals("paper") && !p.equals("equal_budget")) {
            throw new IllegalArgumentException("\"" + owner + ".protocol\" must be \"paper\" or \"equal_budget\", got \"" + p + "\"");
        }
        PromptProtocol d = paper();
        return new PromptProtocol(p.equals("equal_budget"), j.number("data_fraction", d.dataFraction()), j.integer("epochs", d.epochs()));
    }

    /** Samples to train on for a task of {@code available} training samples, given the run's budget. */
    int samples(int available, int runBudget) {
        if (equalBudget) return Math.min(available, runBudget);
        return (int) Math.max(1, Math.min(available, Math.round(dataFraction * available)));
    }

    /** Epochs per task, given the run's epochs. */
    int epochs(int runEpochs) {
        return equalBudget ? runEpochs : epochs;
    }
}
