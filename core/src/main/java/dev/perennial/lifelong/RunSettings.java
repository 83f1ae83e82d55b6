/*
 * The settings every strategy of a lifelong run shares (so their numbers compare): the per-step budget of training
 * samples, the training recipe, the LoRA shape of the LoRA strategies (and whether they train the projector too, as
 * LLaVA's LoRA recipe does), the evaluation limits and the seed. Defaults live here and nowhere else; the run file's
 * top-level keys and "lora" object override them (strictly).
 */
package dev.perennial.lifelong;

import dev.perennial.nn.LoraConfig;
import dev.perennial.train.TrainConfig;

import java.util.Set;

/**
 * The settings every strategy of a lifelong run shares: the per-step budget in samples, epochs, batch size, learning
 * rate, seed, LoRA rank, alpha and dropout, whether the LoRA strategies also train the projector and at which peak
 * learning rate, the test-record limit (0 for all), whether later tasks are evaluated too, and the answer batch size
 * and new-token limit; {@code defaults()} is the one place the defaults live.
 * <p>Immutable; safe to share between threads (a record of primitives).
 */
public record RunSettings(int budget, int epochs, int batch, double lr, long seed, int loraRank, float loraAlpha,
                          float loraDropout, boolean trainProjector, double projectorLr, int testLimit, boolean evaluateFuture,
                          int answerBatch, int maxNewTokens) {
    /** The run file's keys these settings read (beside "lora"). */
    static final Set<String> KEYS = Set.of("budget", "epochs", "batch", "lr", "seed", "lora", "test_limit", "evaluate_future",
            "answer_batch", "max_new_tokens");

    /** Every value is range-checked here, before any work, and an error names the run file's key and the value. */
    public RunSettings {
        atLeast("budget", budget, 1);
        atLeast("epochs", epochs, 1);
        atLeast("batch", batch, 1);
        if (!(lr > 0) || !Double.isFinite(lr)) throw new IllegalArgumentException("\"lr\" must be a positive number, got " + lr);
        atLeast("lora.rank", loraRank, 1);
        if (!(loraAlpha > 0) || !Float.isFinite(loraAlpha)) throw new IllegalArgumentException("\"lora.alpha\" must be a positive number, got " + loraAlpha);
        if (!(loraDropout >= 0 && loraDropout < 1)) throw new IllegalArgumentException("\"lora.dropout\" must be in [0, 1), got " + loraDropout);
        if (!(projectorLr > 0) || !Double.isFinite(projectorLr)) throw new IllegalArgumentException("\"lora.projector_lr\" must be a positive number, got " + projectorLr);
        atLeast("test_limit", testLimit, 0);
        atLeast("answer_batch", answerBatch, 1);
        atLeast("max_new_tokens", maxNewTokens, 1);
    }

    private static void atLeast(String key, long value, long min) {
        if (value < min) throw new IllegalArgumentException("\"" + key + "\" must be at least " + min + ", got " + value);
    }

    /**
     * Budget 500, 1 epoch, batch 4, lr 2e-4, seed 0, LoRA r 128 / α 256 / dropout 0.05, projector frozen (2e-5 when
     * trained), all test records, answers in batches of 8 up to 64 tokens. Epochs, lr and the LoRA shape are the
     * LLaVA-1.5 LoRA recipe ADAPT-∞ is measured with (docs/methods/adapt-inf.md, Appendix B); its global batch of 128
     * is not the default here (4, a CPU-sized micro-batch: set "batch" for the recipe), nor is its projector training
     * (ADAPT-∞'s released code keeps adapters off the projector, §1.3; set "lora.train_projector").
     */
    public static RunSettings defaults() {
        return new RunSettings(500, 1, 4, 2e-4, 0, 128, 256f, 0.05f, false, 2e-5, 0, false, 8, 64);
    }

    static RunSettings parse(JsonSettings r) {
        RunSettings d = defaults();
        JsonSettings lora = r.object("lora").known(Set.of("rank", "alpha", "dropout", "train_projector", "projector_lr"));
        return new RunSettings(r.integer("budget", d.budget), r.integer("epochs", d.epochs), r.integer("batch", d.batch),
                r.number("lr", d.lr), r.integer("seed", (int) d.seed), lora.integer("rank", d.loraRank),
                (float) lora.number("alpha", d.loraAlpha), (float) lora.number("dropout", d.loraDropout),
                lora.bool("train_projector", d.trainProjector), lora.number("projector_lr", d.projectorLr), r.integer("test_limit", d.testLimit), r.bool("evaluate_future", d.evaluateFuture),
                r.integer("answer_batch", d.answerBatch), r.integer("max_new_tokens", d.maxNewTokens));
    }

    public RunSettings withBudget(int b) { return new RunSettings(b, epochs, batch, lr, seed, loraRank, loraAlpha, loraDropout, trainProjector, projectorLr, testLimit, evaluateFuture, answerBatch, maxNewTokens); }
    public RunSettings withEpochs(int e) { return new RunSettings(budget, e, batch, lr, seed, loraRank, loraAlpha, loraDropout, trainProjector, projectorLr, testLimit, evaluateFuture, answerBatch, maxNewTokens); }
    public RunSettings withBatch(int b) { return new RunSettings(budget, epochs, b, lr, seed, loraRank, loraAlpha, loraDropout, trainProjector, projectorLr, testLimit, evaluateFuture, answerBatch, maxNewTokens); }
    public RunSettings withLr(double l) { return new RunSettings(budget, epochs, batch, l, seed, loraRank, loraAlpha, loraDropout, trainProjector, projectorLr, testLimit, evaluateFuture, answerBatch, maxNewTokens); }
    public RunSettings withSeed(long s) { return new RunSettings(budget, epochs, batch, lr, s, loraRank, loraAlpha, loraDropout, trainProjector, projectorLr, testLimit, evaluateFuture, answerBatch, maxNewTokens); }
    public RunSettings withLora(int rank, float alpha, float dropout) { return new RunSettings(budget, epochs, batch, lr, seed, rank, alpha, dropout, trainProjector, projectorLr, testLimit, evaluateFuture, answerBatch, maxNewTokens); }
    public RunSettings withAnswers(int batchSize, int newTokens) { return new RunSettings(budget, epochs, batch, lr, seed, loraRank, loraAlpha, loraDropout, trainProjector, projectorLr, testLimit, evaluateFuture, batchSize, newTokens); }

    /** The training recipe of a step: these epochs, batch and lr; 3% warm-up, clipping at 1.0, this seed. */
    public TrainConfig train() { return new TrainConfig(epochs, batch, 1, lr, 0, 0.03, 1.0, seed, -1, 0); }

    /** The LoRA adapters the LoRA strategies train (on the language model). */
    public LoraConfig lora() { return LoraConfig.llm(loraRank, loraAlpha, loraDropout); }
}
