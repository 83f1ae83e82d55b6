/*
 * Trains one task of a prompt pool and commits it to the state folder (docs/methods/modalprompt.md §6, §8): adds the task's
 * entry (PER_TASK: a prompt of L vocabulary rows — or what the composer initialises it to — and a fresh key MLP,
 * both seeded by (seed, task number); SHARED: the pool's entries once, at the first task), creates the composer's
 * shared prompt at the first task (DualPrompt's G-prompt), fits centroid keys where the pool uses them, trains with Trainer
 * (AdamW, warm-up + cosine schedule, checkpoints, resume) on PromptObjective, then commits the task. Only the
 * pool's trainable tensors are handed to the optimizer: the model is never written.
 *
 * Resume: a task folder that is not committed holds the trainer's checkpoints; training the same task again
 * recreates the same initial entry from the seed and continues from the latest checkpoint, giving the result an
 * uninterrupted run gives. Training another task while one is pending is refused.
 */
package dev.perennial.prompt;

import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.train.TrainConfig;
import dev.perennial.train.Trainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains one task of a prompt pool with {@code Trainer} and commits it to its {@link PromptPoolState}: adds the
 * task's entry (seeded from the run seed and the task number), fits centroid keys where the pool uses them, trains
 * only the pool's tensors (the model is never written) and writes the task folder; an interrupted task resumes from
 * its checkpoints.
 * <p>Holds no state of its own (a static method and a logger), but {@code train} mutates the given state, its pool
 * and its folder: call it for a given state from one thread at a time, and not while that pool is in use elsewhere.
 */
public final class PromptTaskTrainer {
    private static final Logger log = LoggerFactory.getLogger(PromptTaskTrainer.class);

    /** What training the task did: the trainer's result and the training selections. */
    public record Result(int taskIndex, Trainer.Result training, SelectionStats selections) {}

    private PromptTaskTrainer() {}

    /**
     * @param vocab      ids [0, vocab) that prompt rows may be initialised from (the tokenizer's vocabulary)
     * @param seed       the run seed: entry initialisation uses mix(seed, task number), the trainer cfg.seed()
     * @param metadata   extra fields for task.json as JSON-ready Java values (Maps, Lists, Strings, numbers, booleans);
     *                   may be null
     */
    public static Result train(PromptPoolState state, String task, LlavaModel model, Backend be, PromptTaskData data,
                               int vocab, long seed, TrainConfig cfg, Map<String, ?> metadata, Trainer.Progress progress) throws IOException {
        PromptPool pool = state.pool();
        for (PromptPoolState.Task t : state.tasks()) {
            if (t.name().equals(task)) throw new IllegalArgumentException("task " + task + " is already trained in " + state.dir());
        }
        String pending = state.pendingTask();
        if (pending != null && !pending.equals(task)) {
            throw new IllegalArgumentException("task " + pending + " was interrupted in " + state.dir() + ": train it again to resume, or delete "
                    + state.taskFolder(state.tasks().size(), pending) + " to discard it");
        }
        if (data.size() == 0) throw new IllegalArgumentException("task " + task + " has no usable sample");
        if (pool.config().keyDim() != data.queries().size(2)) {
            throw new IllegalArgumentException("queries have width " + data.queries().size(2) + ", the pool's keys " + pool.config().keyDim());
        }
        int index = state.tasks().size();
        PromptComposer composer = pool.config().composer();
        composer.checkModel(model.config().text());
        int current;
        if (pool.config().growth() == PromptPoolConfig.Growth.PER_TASK) {
            long entrySeed = mix(seed, index);
            pool.add(task, composer.initialPrompt(model.decoder(), be, vocab, pool.config().promptLength(), false, entrySeed), entrySeed ^ 0x5DEECE66DL);
            current = pool.size() - 1;
            pool.prepareEntry(current, data.queries(), entrySeed);                             // e.g. S-Prompts' centroids
        } else {
            for (int i = pool.size(); i < pool.config().poolSize(); i++) {
                long entrySeed = mix(seed, -1 - i);
                pool.add("p" + i, composer.initialPrompt(model.decoder(), be, vocab, pool.config().promptLength(), false, entrySeed),
                        entrySeed ^ 0x5DEECE66DL);
            }
            current = -1;
        }
        boolean newShared = composer.sharedRows() > 0 && pool.shared() == null;
        if (newShared) pool.setShared(composer.initialPrompt(model.decoder(), be, vocab, composer.sharedRows(), true, mix(seed, Long.MIN_VALUE)));
        SelectionStats stats = new SelectionStats(pool.entries().stream().map(PromptEntry::name).toList());
        PromptObjective objective = new PromptObjective(model, be, pool, current, data.queries(), stats);
        Trainer trainer = new Trainer(model, objective.parameters(), objective, List.of(), cfg);
        Trainer.Result r;
        try {
            r = trainer.train(data.examples(), state.taskFolder(index, task).resolve("checkpoints"), true, progress);
        } catch (RuntimeException | IOException e) {
            if (pool.config().growth() == PromptPoolConfig.Growth.PER_TASK) pool.removeLast();      // keep the pool as committed
            if (newShared) pool.setShared(null);
            throw e;
        }
        pool.invalidateKeys(current);
        log.info("task {} ({}): {} optimizer steps, training selections:\n{}", index + 1, task, r.lastStep() - r.firstStep(), stats.summary());
        Map<String, Object> meta = metadata == null ? new LinkedHashMap<>() : new LinkedHashMap<>(metadata);
        meta.put("samples", data.size());
        meta.put("steps", r.lastStep());
        meta.put("seed", seed);
        if (!r.runLosses().isEmpty()) {
            meta.put("first_loss", r.runLosses().get(0));
            meta.put("last_loss", r.runLosses().get(r.runLosses().size() - 1));
        }
        meta.put("training_selection", stats.report());
        state.commitTask(task, be, meta);
        return new Result(index, r, stats);
    }

    /** SplitMix64 finaliser of (seed, i): independent, reproducible seeds per task. */
    static long mix(long seed, long i) {
        long z = seed + 0x9E3779B97F4A7C15L * (i + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
