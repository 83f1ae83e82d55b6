/*
 * The optimiser and schedule options of the training commands (a picocli mixin shared by train and prompt-train):
 * batch, accumulation, AdamW learning rate and weight decay, warm-up ratio, clipping, seed, step limit and checkpoint
 * interval. Epochs stay with each command, whose defaults differ (1 for train, 10 for ModalPrompt's prompt-train).
 */
package dev.perennial.cli;

import dev.perennial.train.TrainConfig;
import picocli.CommandLine.Option;

final class TrainingOptions {
    @Option(names = "--batch", defaultValue = "4", description = "Samples per micro-batch (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--grad-accumulation", defaultValue = "1", description = "Micro-batches summed per optimizer step (default ${DEFAULT-VALUE}).") int gradAccumulation;
    @Option(names = "--lr", defaultValue = "2e-4", description = "Peak AdamW learning rate (default ${DEFAULT-VALUE}).") double lr;
    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW decoupled weight decay (default ${DEFAULT-VALUE}).") double weightDecay;
    @Option(names = "--warmup-ratio", defaultValue = "0.03", description = "Fraction of the steps with linear warm-up before cosine decay (default ${DEFAULT-VALUE}).") double warmupRatio;
    @Option(names = "--max-grad-norm", defaultValue = "1.0", description = "Global gradient-norm clipping threshold (default ${DEFAULT-VALUE}).") double maxGradNorm;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of initialisation, shuffling and dropout (default ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--max-steps", defaultValue = "-1", description = "Stop after this many optimizer steps (-1: all).") long maxSteps;
    @Option(names = "--checkpoint-every", defaultValue = "0", description = "Optimizer steps between checkpoints (0: only at the end).") int checkpointEvery;

    /**
     * The options that change a run's result as fingerprint entries: not the checkpoint interval, and not the step
     * limit, which only says where a run stops (a run stopped by it may be resumed to go further).
     */
    void fingerprint(dev.perennial.io.Fingerprint.Builder f) {
        f.put("batch", batch).put("grad-accumulation", gradAccumulation).put("lr", lr).put("weight-decay", weightDecay)
                .put("warmup-ratio", warmupRatio).put("max-grad-norm", maxGradNorm).put("seed", seed);
    }

    TrainConfig config(int epochs) {
        return new TrainConfig(epochs, batch, gradAccumulation, lr, weightDecay, warmupRatio, maxGradNorm, seed, maxSteps, checkpointEvery);
    }
}
