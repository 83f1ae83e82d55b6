/*
 * ADAPT-∞ as a lifelong strategy (spec docs/methods/adapt-inf.md, dev.perennial.select): the pool of every sample
 * kept so far plus the new task's samples is scored with the current model (per-sample LoRA-gradient vectors of the
 * last layer projected to `dim`, and the five scorers), clustered into pseudo-tasks, and `budget` samples are chosen
 * by multi-way coverage-centric selection; the LoRA adapters train on those (the same budget as every strategy), and
 * the pool is pruned to `poolCap` (permanent pruning). The DataPool lives in the strategy's working folder; save()
 * copies it into the step's state and restore() puts that copy back, so a resumed run sees the pool as it was after
 * the step (vectors files stay in the working folder, under names that are never reused). The clustering is the
 * pool's StepConfig: K = `clusters`, `nInit` k-means restarts (docs/methods/adapt-inf.md §3), fixed when the pool is
 * created.
 *
 * Steps chain as in the paper's loop (§1.3, mergeBetweenSteps, the default): step t scores with the newest adapter
 * (step t−1's, un-merged, so the gradients are taken with respect to it), then merges it into the base and trains a
 * fresh adapter on the merged model (LoraStrategy). Without merging one adapter keeps training across steps.
 */
package dev.perennial.lifelong;

import dev.perennial.cluster.KMeans;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.TrainingExample;
import dev.perennial.io.FileTrees;
import dev.perennial.io.Npy;
import dev.perennial.nn.LoraConfig;
import dev.perennial.select.DataPool;
import dev.perennial.select.GradientProjection;
import dev.perennial.select.SampleId;
import dev.perennial.select.SampleVectors;
import dev.perennial.select.Scorer;
import dev.perennial.select.ScorerRegistry;
import dev.perennial.select.ScoringPass;
import dev.perennial.select.StepConfig;
import dev.perennial.train.TrainConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * ADAPT-∞ as a lifelong strategy: each step scores the kept pool plus the new task's samples with the current model
 * (LoRA-gradient vectors of width {@code dim}, five scorers), clusters them, selects {@code budget} samples to train
 * the LoRA adapters on, and prunes the pool to {@code poolCap} samples. By default each step merges the previous
 * step's adapter into the base (after scoring with it) and trains a fresh one. The pool lives in the strategy's
 * working folder and is saved with each step.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its {@code DataPool}, adapters and
 * model session change without synchronization.
 */
public final class AdaptInfStrategy extends LoraStrategy {
    /**
     * Settings ("adapt_inf": {"clusters", "dim", "pool_cap", "merge_between_steps", "n_init"}): K, the vectors'
     * dimension k, the pool cap P_max, whether each step merges the previous step's adapter and trains a fresh one (the
     * paper's loop), and the k-means restarts (KMeans.Config.nInit).
     */
    public record Settings(int clusters, int dim, int poolCap, boolean mergeBetweenSteps, int nInit) {
        public Settings {
            if (clusters < 1) throw new IllegalArgumentException("\"adapt_inf.clusters\" must be at least 1, got " + clusters);
            if (dim < 1) throw new IllegalArgumentException("\"adapt_inf.dim\" must be at least 1, got " + dim);
            if (poolCap < 1) throw new IllegalArgumentException("\"adapt_inf.pool_cap\" must be at least 1, got " + poolCap);
            if (nInit < 1) throw new IllegalArgumentException("\"adapt_inf.n_init\" must be at least 1, got " + nInit);
        }

        /**
         * K = 10 and k = 8192 (the official script's), P_max = 5000, merging between steps (docs/methods/adapt-inf.md
         * §1.3, Appendix B), KMeans.DEFAULT_N_INIT restarts.
         */
        public static Settings defaults() { return new Settings(10, 8192, 5000, true, KMeans.DEFAULT_N_INIT); }
    }

    /** The plug-in: "adapt-inf". */
    public static final StrategyType<Settings> TYPE = new StrategyType<>() {
        @Override public String name() { return "adapt-inf"; }
        @Override public String settingsKey() { return "adapt_inf"; }
        @Override public Settings defaults() { return Settings.defaults(); }

        @Override
        public Settings parse(JsonSettings j) {
            j.known(java.util.Set.of("clusters", "dim", "pool_cap", "merge_between_steps", "n_init"));
            Settings d = Settings.defaults();
            return new Settings(j.integer("clusters", d.clusters()), j.integer("dim", d.dim()), j.integer("pool_cap", d.poolCap()),
                    j.bool("merge_between_steps", d.mergeBetweenSteps()), j.integer("n_init", d.nInit()));
        }

        @Override
        public Strategy create(StrategyContext c, Settings s) throws IOException {
            RunSettings r = c.common();
            return withRunSettings(new AdaptInfStrategy(c.session(), r.lora(), r.train(), r.budget(), r.seed(), r.answerBatch(),
                    r.maxNewTokens(), c.work(), s.clusters(), s.dim(), s.poolCap(), s.mergeBetweenSteps(), s.nInit(), (task, index) -> {
                        int step = c.stepOf(task);
                        return new Chosen(c.tasks().get(step), c.samples().of(step).get(index));
                    }), r);
        }
    };

    private static final List<String> SCORERS = List.of(ScorerRegistry.EL2N, ScorerRegistry.ENTROPY, ScorerRegistry.GRAND,
            ScorerRegistry.PPL, ScorerRegistry.IG);

    private final Path work;
    private final int clusters, dim, poolCap;
    private final BiFunction<String, Integer, Chosen> lookup;
    private final Map<String, Scorer> scorers = ScorerRegistry.standard().select(SCORERS);
    private DataPool pool;

    /**
     * @param work     the strategy's working folder (the DataPool and vectors live there)
     * @param clusters K pseudo-tasks per step
     * @param dim      projection width of the gradient vectors
     * @param poolCap  P_max, the pool's size after pruning
     * @param mergeBetweenSteps merge each step's adapter into the base and train a fresh one per step (the paper's loop);
     *                 false: one adapter across all steps
     * @param nInit    k-means restarts per step (KMeans.Config.nInit); a pool resumed from its folder keeps its own
     * @param lookup   (task name, sample index) -> that sample (earlier tasks' data is reloaded on demand)
     */
    public AdaptInfStrategy(ModelSession session, LoraConfig lora, TrainConfig train, int budget, long seed, int answerBatch, int maxNewTokens,
                            Path work, int clusters, int dim, int poolCap, boolean mergeBetweenSteps, int nInit,
                            BiFunction<String, Integer, Chosen> lookup) throws IOException {
        super(session, lora, train, budget, seed, answerBatch, maxNewTokens, mergeBetweenSteps, work);
        this.work = work;
        this.clusters = clusters;
        this.dim = dim;
        this.poolCap = poolCap;
        this.lookup = lookup;
        Path folder = work.resolve("pool");
        StepConfig config = StepConfig.defaults(budget, clusters);
        this.pool = Files.isRegularFile(folder.resolve(DataPool.POOL_FILE)) ? DataPool.open(folder)
                : DataPool.create(folder, config.withKMeans(config.kmeans().withNInit(nInit)).withSeed(seed).withPoolCap(poolCap));
        this.pool.onBackend(session.backend());
    }

    @Override public String name() { return "adapt-inf"; }

    @Override
    protected List<Chosen> choose(int step, Task task, List<LlavaSample> train, SplittableRandom rng) {
        try {
            SampleId[] candidates = pool.candidates(task.name(), train.size());
            List<Chosen> chosen = new ArrayList<>(candidates.length);
            for (SampleId id : candidates) {
                chosen.add(id.dataset().equals(task.name()) ? new Chosen(task, train.get(id.index())) : lookup.apply(id.dataset(), id.index()));
            }
            Path vectors = work.resolve(String.format(Locale.ROOT, "vectors-%03d.npy", step));
            Map<String, float[]> scores = score(task, chosen, vectors);
            DataPool.StepResult r = pool.step(task.name(), train.size(), null, vectors, scores, null);
            List<Chosen> out = new ArrayList<>();
            for (int p : r.outcome().selection().selected()) out.add(chosen.get(p));
            return out;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Vectors (written to {@code file}, NaN rows for samples that cannot be scored) and scores of the candidates; a step
     * whose every candidate is unusable (cut by max_length before its response, no image) stops before the pool step.
     */
    private Map<String, float[]> score(Task task, List<Chosen> candidates, Path file) throws IOException {
        Set<Scorer.Requirement> needs = EnumSet.noneOf(Scorer.Requirement.class);
        scorers.values().forEach(s -> needs.addAll(s.requirements()));
        ScoringPass pass = new ScoringPass(session.model(), session.backend(), new SampleVectors.Config(SampleVectors.Source.LORA_GRAD,
                List.of(), dim, seed), needs, GradientProjection.Kind.DENSE.create(session.backend()), 4);
        int n = candidates.size();
        float[][] vectors = new float[n][];
        Map<String, float[]> scores = new LinkedHashMap<>();
        for (String s : scorers.keySet()) scores.put(s, new float[n]);
        final int group = 16;
        List<TrainingExample> unusable = new ArrayList<>();          // while no candidate is usable, for the error (no pixels)
        boolean usable = false;
        for (int start = 0; start < n; start += group) {
            List<TrainingExample> rows = new ArrayList<>();
            for (int i = start; i < Math.min(n, start + group); i++) {
                List<TrainingExample> e = session.examples(candidates.get(i).task(), List.of(candidates.get(i).sample()));
                TrainingExample row = e.isEmpty() || !supervised(e.get(0)) ? null : e.get(0);   // no image or nothing to score: NaN row
                rows.add(row);
                usable |= row != null;
                if (!usable) for (TrainingExample x : e) unusable.add(new TrainingExample(x.sampleIndex(), x.sampleId(), x.inputIds(), x.labels(), null));
            }
            if (start + group >= n && !usable) session.requireTrainable(task, unusable, n);  // throws: nothing to train
            List<ScoringPass.ScoredRow> scored = pass.scoreGroup(rows, scorers.values());
            for (int k = 0; k < scored.size(); k++) {
                vectors[start + k] = scored.get(k).vector();
                int j = 0;
                for (String s : scorers.keySet()) scores.get(s)[start + k] = scored.get(k).scores()[j++];
            }
        }
        float[] nan = new float[dim];
        Arrays.fill(nan, Float.NaN);
        Npy.writeRows(file, n, dim, (r, dst) -> System.arraycopy(vectors[r] == null ? nan : vectors[r], 0, dst, 0, dim));
        return scores;
    }

    private boolean supervised(TrainingExample e) {
        int ignore = session.model().config().ignoreIndex();
        for (long l : e.labels()) if (l != ignore) return true;
        return false;
    }

    @Override
    protected void saveExtra(Path dir) throws IOException {
        FileTrees.copy(work.resolve("pool"), dir.resolve("pool"));
    }

    @Override
    protected void restoreExtra(Path dir, int step) throws IOException {
        Path folder = work.resolve("pool");
        FileTrees.delete(folder);
        FileTrees.copy(dir.resolve("pool"), folder);
        pool = DataPool.open(folder).onBackend(session.backend());
        if (pool.completedSteps() != step + 1) throw new IOException(folder + " holds " + pool.completedSteps() + " steps, the run resumes after step " + step);
    }


}
