/*
 * Random replay: a memory of at most `memory` earlier samples (reservoir sampling over everything
 * seen, so every earlier sample has the same chance to be kept), and each step trains on `budget` samples of which a
 * fraction `replayFraction` are drawn from the memory and the rest from the new task — the same budget as every other
 * strategy. The memory (task and sample index of each kept sample) is part of the saved state.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.perennial.data.LlavaSample;
import dev.perennial.io.AtomicFiles;
import dev.perennial.nn.LoraConfig;
import dev.perennial.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * Random replay: a memory of at most {@code memory} earlier samples kept by reservoir sampling, and steps of
 * {@code budget} samples of which a fraction {@code replayFraction} in [0, 1) comes from the memory and the rest from
 * the new task. The memory is saved with each step ({@code replay.json}).
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its memory buffer and count of
 * seen samples change without synchronization.
 */
public final class RandomReplay extends LoraStrategy {
    /** Settings ("replay": {"memory", "fraction"}): the memory's size in samples and the share of a step replayed. */
    public record Settings(int memory, double fraction) {
        public Settings {
            if (memory < 1) throw new IllegalArgumentException("\"replay.memory\" must be at least 1, got " + memory);
            if (!(fraction >= 0 && fraction < 1)) throw new IllegalArgumentException("\"replay.fraction\" must be in [0, 1), got " + fraction);
        }

        /** 1000 samples, 30% of each step replayed. */
        public static Settings defaults() { return new Settings(1000, 0.3); }
    }

    /** The plug-in: "replay". */
    public static final StrategyType<Settings> TYPE = new StrategyType<>() {
        @Override public String name() { return "replay"; }
        @Override public String settingsKey() { return "replay"; }
        @Override public Settings defaults() { return Settings.defaults(); }

        @Override
        public Settings parse(JsonSettings j) {
            j.known(java.util.Set.of("memory", "fraction"));
            Settings d = Settings.defaults();
            return new Settings(j.integer("memory", d.memory()), j.number("fraction", d.fraction()));
        }

        @Override
        public Strategy create(StrategyContext c, Settings s) {
            RunSettings r = c.common();
            return withRunSettings(new RandomReplay(c.session(), r.lora(), r.train(), r.budget(), r.seed(), r.answerBatch(), r.maxNewTokens(),
                    s.memory(), s.fraction(), (step, index) -> new Chosen(c.tasks().get(step), c.samples().of(step).get(index))), r);
        }
    };

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A remembered sample: the step (= task number) it came from and its index in that task's training list. */
    record Memory(int step, int index) {}

    private final int memory;
    private final double replayFraction;
    private final BiFunction<Integer, Integer, Chosen> lookup;
    private final List<Memory> buffer = new ArrayList<>();
    private long seen;

    /**
     * @param lookup (step, index) -> that earlier task's sample (the run reloads earlier tasks' data on demand)
     */
    public RandomReplay(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens,
                        int memory, double replayFraction, BiFunction<Integer, Integer, Chosen> lookup) {
        super(session, lora, train, budget, seed, answerBatch, maxNewTokens);
        if (memory < 1 || !(replayFraction >= 0 && replayFraction < 1)) throw new IllegalArgumentException("need memory >= 1 and a replay fraction in [0, 1)");
        this.memory = memory;
        this.replayFraction = replayFraction;
        this.lookup = lookup;
    }

    @Override public String name() { return "replay"; }

    @Override
    protected List<Chosen> choose(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {
        int replay = buffer.isEmpty() ? 0 : (int) Math.round(budget * replayFraction);
        List<Chosen> out = new ArrayList<>();
        for (LlavaSample s : sample(train, budget - replay, rng)) out.add(new Chosen(task, s));
        for (Memory m : sample(buffer, replay, rng)) out.add(lookup.apply(m.step(), m.index()));
        return out;
    }

    @Override
    protected void afterStep(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {
        for (int i = 0; i < train.size(); i++) {                                    // reservoir sampling (Algorithm R)
            seen++;
            if (buffer.size() < memory) buffer.add(new Memory(step, i));
            else {
                long j = rng.nextLong(seen);
                if (j < memory) buffer.set((int) j, new Memory(step, i));
            }
        }
    }

    @Override
    protected void saveExtra(Path dir) throws IOException {
        var root = JSON.createObjectNode();
        root.put("seen", seen);
        ArrayNode b = root.putArray("memory");
        for (Memory m : buffer) b.addArray().add(m.step()).add(m.index());
        AtomicFiles.write(dir.resolve("replay.json"), JSON.writeValueAsBytes(root));
    }

    @Override
    protected void restoreExtra(Path dir, int step) throws IOException {
        JsonNode root = JSON.readTree(dir.resolve("replay.json").toFile());
        buffer.clear();
        for (JsonNode m : root.path("memory")) buffer.add(new Memory(m.get(0).asInt(), m.get(1).asInt()));
        seen = root.path("seen").asLong();
    }

    /** The memory's current content (for reports and tests). */
    Map<Integer, Long> memoryPerTask() {
        Map<Integer, Long> m = new java.util.TreeMap<>();
        for (Memory x : buffer) m.merge(x.step(), 1L, Long::sum);
        return m;
    }
}
