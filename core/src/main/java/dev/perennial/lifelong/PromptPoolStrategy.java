/*
 * A prompt pool as a lifelong strategy (dev.perennial.prompt): the backbone stays frozen, each step trains the pool
 * on the task's samples as its PromptProtocol says (all of them for the method's own epochs, or the run's budget; no
 * rehearsal) as its configuration says (ModalPrompt, L2P, DualPrompt, S-Prompts: the PromptPoolConfig presets;
 * the plug-ins ModalPromptStrategy, L2pStrategy, DualPromptStrategy and SPromptsStrategy choose one), and
 * answers come from task-agnostic prompt selection with CLIP queries. The pool's state folder lives in the
 * strategy's working folder; save() records how many tasks it held, and restore() rolls the pool back to that count
 * (a step interrupted after its task was committed is retrained from the start). The prompts selected at test time
 * are counted per evaluated task (SelectionStats) for the run report.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.clip.ClipModel;
import dev.perennial.data.ImageLoad;
import dev.perennial.data.ImagePathException;
import dev.perennial.data.ImageStore;
import dev.perennial.data.LlavaSample;
import dev.perennial.image.ClipImageProcessor;
import dev.perennial.image.PreprocessorConfig;
import dev.perennial.io.AtomicFiles;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.prompt.ClipQueries;
import dev.perennial.prompt.PromptEntry;
import dev.perennial.prompt.PromptPoolConfig;
import dev.perennial.prompt.PromptPoolState;
import dev.perennial.prompt.PromptSelection;
import dev.perennial.prompt.PromptTaskData;
import dev.perennial.prompt.PromptTaskTrainer;
import dev.perennial.prompt.SelectionStats;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ClipTokenizer;
import dev.perennial.train.TrainConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A prompt pool (ModalPrompt, L2P, DualPrompt, S-Prompts, ...) as a lifelong strategy: the backbone stays frozen, each step trains
 * the pool on {@code budget} samples of the task, and answers use task-agnostic prompt selection from CLIP queries;
 * {@code selections()} counts the prompts selected per evaluated task.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its prompt-pool state, selection
 * statistics and CLIP image-store cache change without synchronization.
 */
public final class PromptPoolStrategy implements Strategy {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final ModelSession session;
    private final ClipModel clip;
    private final ClipQueries queries;
    private final PromptPoolConfig config;
    private final Path stateDir;
    private final TrainConfig train;
    private final PromptProtocol protocol;
    private final int budget, answerBatch, maxNewTokens;
    private final long seed;
    private final Map<Path, ImageStore> clipStores = new HashMap<>();
    private PromptPoolState state;
    private SelectionStats stats;

    /**
     * @param name   the strategy's name in the run ("modalprompt", "l2p", ...); its step state is NAME.json
     * @param config   the pool's parts (a PromptPoolConfig preset); its key width must be the CLIP queries' width
     * @param protocol how many of a task's samples and epochs to train on (the run's {@code budget} and train epochs,
     *                 or the method's own)
     */
    public PromptPoolStrategy(String name, ModelSession session, Path clipDir, PromptPoolConfig config, Path stateDir, TrainConfig train,
                              PromptProtocol protocol, int budget, long seed, int answerBatch, int maxNewTokens) throws IOException {
        this.name = name;
        this.session = session;
        this.clip = ClipModel.load(clipDir);
        this.queries = new ClipQueries(clip, ClipTokenizer.load(clipDir), ClipQueries.TextQuery.POOLED);
        if (config.keyDim() != queries.dim()) throw new IllegalArgumentException("the pool's keys have width " + config.keyDim() + ", the CLIP queries " + queries.dim());
        this.config = config;
        this.stateDir = stateDir;
        this.train = train;
        this.protocol = protocol;
        this.budget = budget;
        this.seed = seed;
        this.answerBatch = answerBatch;
        this.maxNewTokens = maxNewTokens;
        config.checkModel(session.model().config().text());
        this.state = PromptPoolState.exists(stateDir) ? PromptPoolState.open(stateDir)
                : PromptPoolState.create(stateDir, config, config.promptWidth(session.model().config().text()));
    }

    @Override public String name() { return name; }

    /** The CLIP model folder's query width (the keys' width every pool of this strategy needs). */
    static int queryWidth(Path clipDir) throws IOException {
        return dev.perennial.clip.ClipConfig.load(clipDir.resolve("config.json")).projectionDim();
    }

    /** Test-time selections counted per evaluated task since the last learn(). */
    public SelectionStats selections() { return stats; }

    private ImageStore clipImages(Path root) throws IOException {
        ImageStore s = clipStores.get(root);
        if (s == null) {
            s = new ImageStore(root, new ClipImageProcessor(PreprocessorConfig.CLIP_VIT_L_336.withSize(queries.imageSize())), true);
            clipStores.put(root, s);
        }
        return s;
    }

    @Override
    public StepOutcome learn(int step, Task task, List<LlavaSample> train) throws IOException {
        List<LlavaSample> chosen = LoraStrategy.sample(train, protocol.samples(train.size(), budget), new SplittableRandom(seed * 1_000_003L + step));
        PromptTaskData data;
        try {
            data = PromptTaskData.encode(chosen, session.encoder(task), queries, clipImages(task.imageRoot()), config.queries(), session.backend());
        } catch (ImagePathException e) {
            throw new IOException(task.name() + ": " + e.getMessage(), e);
        }
        session.requireTrainable(task, data.examples(), chosen.size());
        TrainConfig cfg = new TrainConfig(protocol.epochs(this.train.epochs()), this.train.batchSize(), this.train.gradAccumulation(), this.train.learningRate(),
                this.train.weightDecay(), this.train.warmupRatio(), this.train.maxGradNorm(), seed + step, this.train.maxSteps(), 0);
        var r = PromptTaskTrainer.train(state, task.name(), session.model(), session.backend(), data, session.tokenizer().vocabSize(), seed, cfg, null, null);
        stats = new SelectionStats(state.pool().entries().stream().map(PromptEntry::name).toList());
        List<Double> l = r.training().losses();
        return new StepOutcome(data.size(), l.isEmpty() ? Double.NaN : l.get(0), l.isEmpty() ? Double.NaN : l.get(l.size() - 1));
    }

    @Override
    public List<String> answer(Task task, List<TestRecord> records) throws IOException {
        ImageStore cs = clipImages(task.imageRoot());
        if (stats == null) stats = new SelectionStats(state.pool().entries().stream().map(PromptEntry::name).toList());
        IOException[] failure = new IOException[1];
        List<String> out = session.answer(task, records, answerBatch, maxNewTokens, samples -> {
            List<Tensor> px = new ArrayList<>();
            for (LlavaSample s : samples) {
                Tensor p = null;
                if (s.hasImage()) {
                    try {
                        ImageLoad load = cs.load(s.images().get(0));
                        if (load instanceof ImageLoad.Loaded l) p = l.pixels();
                    } catch (ImagePathException e) {
                        failure[0] = new IOException(task.name() + ": " + e.getMessage(), e);
                    }
                }
                px.add(p);
            }
            Tensor q = PromptTaskData.queries(samples, px, queries, config.queries(), session.backend());
            PromptSelection sel = state.pool().selectForInference(session.backend(), q);
            stats.add(sel, task.name());
            List<PromptInsertion> inserts = state.pool().compose(session.backend(), sel);
            return inserts;
        });
        if (failure[0] != null) throw failure[0];
        return out;
    }

    @Override
    public void save(Path dir) throws IOException {
        AtomicFiles.write(dir.resolve(name + ".json"), ("{\"tasks\": " + state.tasks().size() + "}").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void restore(Path dir, int step) throws IOException {
        Path saved = dir.resolve(name + ".json");
        int tasks = JSON.readTree(Files.readAllBytes(saved)).path("tasks").asInt(-1);
        if (tasks < 0) throw new IOException(saved + ": no task count");
        PromptPoolState current = PromptPoolState.open(stateDir);
        if (current.tasks().size() < tasks) throw new IOException(stateDir + " holds " + current.tasks().size() + " tasks, the step saved " + tasks);
        current.rollbackTo(tasks);
        state = PromptPoolState.open(stateDir);
        stats = null;
    }

    @Override
    public void close() throws IOException {
        clip.close();
        session.close();
    }
}
