/*
 * Hyper-parameters of a training run, with LLaVA's fine-tuning defaults where they
 * apply (AdamW, no weight decay, 3% warm-up, cosine decay, gradient clipping at 1.0).
 */
package dev.perennial.train;

/**
 * Hyper-parameters of a training run: epochs, micro-batch size in samples, gradient-accumulation micro-batches per
 * optimizer step, learning rate, AdamW weight decay, warm-up as a fraction of all optimizer steps, maximum global
 * gradient norm (0: no clipping), seed, maximum optimizer steps (negative: all) and checkpoint interval in optimizer
 * steps (0: at the end only).
 * <p>Immutable; safe to share between threads (a record of primitive components).
 */
public record TrainConfig(int epochs, int batchSize, int gradAccumulation, double learningRate, double weightDecay,
                          double warmupRatio, double maxGradNorm, long seed, long maxSteps, int checkpointEvery) {
    public TrainConfig {
        if (epochs <= 0 || batchSize <= 0 || gradAccumulation <= 0) throw new IllegalArgumentException("epochs, batch and accumulation must be positive");
        if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be positive");
        if (!(warmupRatio >= 0 && warmupRatio < 1)) throw new IllegalArgumentException("warm-up ratio must be in [0, 1)");
    }

    /** Defaults: 1 epoch, batch 4, no accumulation, lr 2e-4, no weight decay, 3% warm-up, clip 1.0, seed 0, all steps, checkpoint at the end. */
    public static TrainConfig defaults() {
        return new TrainConfig(1, 4, 1, 2e-4, 0, 0.03, 1.0, 0, -1, 0);
    }

    public TrainConfig withEpochs(int e) { return new TrainConfig(e, batchSize, gradAccumulation, learningRate, weightDecay, warmupRatio, maxGradNorm, seed, maxSteps, checkpointEvery); }
    public TrainConfig withBatchSize(int b) { return new TrainConfig(epochs, b, gradAccumulation, learningRate, weightDecay, warmupRatio, maxGradNorm, seed, maxSteps, checkpointEvery); }
    public TrainConfig withLearningRate(double lr) { return new TrainConfig(epochs, batchSize, gradAccumulation, lr, weightDecay, warmupRatio, maxGradNorm, seed, maxSteps, checkpointEvery); }
    public TrainConfig withSeed(long s) { return new TrainConfig(epochs, batchSize, gradAccumulation, learningRate, weightDecay, warmupRatio, maxGradNorm, s, maxSteps, checkpointEvery); }
    public TrainConfig withMaxSteps(long m) { return new TrainConfig(epochs, batchSize, gradAccumulation, learningRate, weightDecay, warmupRatio, maxGradNorm, seed, m, checkpointEvery); }
    public TrainConfig withCheckpointEvery(int k) { return new TrainConfig(epochs, batchSize, gradAccumulation, learningRate, weightDecay, warmupRatio, maxGradNorm, seed, maxSteps, k); }
    public TrainConfig withGradAccumulation(int a) { return new TrainConfig(epochs, batchSize, a, learningRate, weightDecay, warmupRatio, maxGradNorm, seed, maxSteps, checkpointEvery); }
}
