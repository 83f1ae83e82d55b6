/*
 * The ADAPT-∞ data pool across timesteps (docs/methods/adapt-inf.md §1.1, §7, Appendix A): one dataset D_t joins per step,
 * P_t^in = P_{t−1} ∪ D_t is clustered and a training set S_t is selected from it, and permanent pruning caps the
 * pool at P_max for step t+1 (PoolStep does the step; StepConfig says how).
 *
 * Identity. Every sample is a SampleId (dataset name, record index) for good. A dataset name can join only once,
 * so a pruned id can never come back: its only way in was its dataset's step. The candidates of a step, in
 * order, are the current members (in pool order), then the new dataset's records 0..n−1; the caller computes
 * the step's vectors and scores for exactly these rows, in this order (candidates() says it in advance).
 *
 * Folder (every file written atomically, AtomicFiles; a crash leaves each file old or complete):
 *   pool.json                     {"format": 1, "config": StepConfig, "datasets": [{name, records, step, json}],
 *                                  "completed_steps": t}; rewritten last by a step: the commit point
 *   steps/NNNN/candidates.npy     i32 [N, 2]: per candidate (dataset number in arrival order, record index)
 *   steps/NNNN/scores/NAME.npy    f32 [N] per scorer (copied: scores are small)
 *   steps/NNNN/step.json          the step's inputs: dataset, N, the scorers in expert order, and a reference to
 *                                 the vectors .npy (absolute path, shape, dtype, bytes, SHA-256), not a copy
 *                                 (100k × 8192 f32 is 3.3 GB); written after the two above, so it marks the
 *                                 inputs as complete
 *   steps/NNNN/*                  the StepFolder files: labels, centroids, selection, pruning, report.json/png
 *   steps/NNNN/selected.json      S_t as LLaVA JSON (SelectedRecords), when every dataset came with its file
 *
 * open() restores the state exactly: configuration, datasets, and the members = the last step's candidates at
 * its kept positions. A step whose step.json exists but which is not committed in pool.json is pending: resume()
 * finishes it from its folder (stages already saved are loaded, the rest recomputed; all deterministic, so the
 * result equals an uninterrupted run) after checking that the referenced vectors file is unchanged (size and
 * SHA-256). A new step cannot start while one is pending; delete its folder to discard it.
 */
package dev.perennial.select;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.cluster.KMeans;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.FileTrees;
import dev.perennial.io.Npy;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ADAPT-∞'s sample pool across timesteps, kept in a folder: each step adds one dataset, clusters the candidates and
 * selects a training set from them using their vectors ({@code .npy} {@code [N, d]}) and float32 scores {@code [N]}
 * per scorer, then permanently prunes the pool to its cap. Samples are {@code SampleId}s (dataset, record index);
 * a step commits by rewriting {@code pool.json} last, and a pending step can be resumed.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its members, completed-step
 * count and backend change without synchronization, and steps write its folder.
 */
public final class DataPool {
    private static final Logger log = LoggerFactory.getLogger(DataPool.class);
    public static final String POOL_FILE = "pool.json", STEPS = "steps", INPUTS = "step.json", CANDIDATES = "candidates.npy",
            SCORES = "scores", SELECTED_RECORDS = "selected.json";
    private static final int FORMAT = 1;
    /** Scorer names become file names. */
    private static final Pattern SCORER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]*");

    /**
     * A dataset that joined the pool.
     * @param records its record count
     * @param step    the step it joined at
     * @param json    its LLaVA-JSON file, or null
     */
    public record Dataset(String name, int records, int step, Path json) {}

    /**
     * A finished step.
     * @param candidates the step's pool P_{t−1} ∪ D_t, in order; outcome positions index it
     * @param folder     the step folder
     */
    public record StepResult(PoolStep.Outcome outcome, SampleId[] candidates, StepReport report, Path folder) {
        /** S_t. */
        public SampleId[] selectedIds() { return at(outcome.selection().selected()); }

        /** The pool after this step. */
        public SampleId[] keptIds() { return at(outcome.pruning().kept()); }

        /** The samples permanently removed at this step, in candidate order. */
        public SampleId[] prunedIds() {
            boolean[] kept = new boolean[candidates.length];
            for (int p : outcome.pruning().kept()) kept[p] = true;
            List<SampleId> out = new ArrayList<>();
            for (int i = 0; i < candidates.length; i++) if (!kept[i]) out.add(candidates[i]);
            return out.toArray(SampleId[]::new);
        }

        private SampleId[] at(int[] positions) {
            return Arrays.stream(positions).mapToObj(p -> candidates[p]).toArray(SampleId[]::new);
        }
    }

    private final Path folder;
    private final StepConfig config;
    private final List<Dataset> datasets;
    private SampleId[] members;
    private Backend backend = new CpuBackend();
    private int completed;

    private DataPool(Path folder, StepConfig config, List<Dataset> datasets, SampleId[] members, int completed) {
        this.folder = folder;
        this.config = config;
        this.datasets = datasets;
        this.members = members;
        this.completed = completed;
    }

    /**
     * The backend the steps' k-means and pruning run on (default: the CPU). Results are the same on every backend
     * up to near-ties of distances; returns this.
     */
    public DataPool onBackend(Backend be) {
        this.backend = java.util.Objects.requireNonNull(be);
        return this;
    }

    /** A new, empty pool in {@code folder} (created if needed; it must not hold a pool already). */
    public static DataPool create(Path folder, StepConfig config) throws IOException {
        if (Files.exists(folder.resolve(POOL_FILE))) throw new IOException(folder + " already holds a data pool; open it instead");
        Files.createDirectories(folder);
        DataPool pool = new DataPool(folder, config, new ArrayList<>(), new SampleId[0], 0);
        pool.commit();
        return pool;
    }

    /** The pool saved in {@code folder}, exactly as its last committed step left it. */
    public static DataPool open(Path folder) throws IOException {
        Path file = folder.resolve(POOL_FILE);
        if (!Files.isRegularFile(file)) throw new IOException(folder + " holds no data pool (" + POOL_FILE + " is missing)");
        JsonNode o = StepFolder.read(file);
        if (o.path("format").asInt() != FORMAT) throw new IOException(file + ": unknown pool format " + o.path("format"));
        StepConfig config;
        try {
            config = StepConfig.fromJson(o.path("config"));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        List<Dataset> datasets = new ArrayList<>();
        for (JsonNode d : o.path("datasets")) {
            JsonNode json = d.path("json");
            datasets.add(new Dataset(d.path("name").asText(), d.path("records").asInt(), d.path("step").asInt(),
                    json.isNull() ? null : Path.of(json.asText())));
        }
        int completed = o.path("completed_steps").asInt();
        DataPool pool = new DataPool(folder, config, datasets, new SampleId[0], completed);
        if (completed > 0) pool.members = pool.result(completed - 1).keptIds();
        return pool;
    }

    public StepConfig config() { return config; }

    /** Steps committed so far; the next step is number completedSteps(). */
    public int completedSteps() { return completed; }

    /** The datasets in arrival order. */
    public List<Dataset> datasets() { return List.copyOf(datasets); }

    /** The current pool, in pool order. */
    public SampleId[] members() { return members.clone(); }

    public int size() { return members.length; }

    /** The folder of step {@code step}. */
    public Path stepFolder(int step) {
        return folder.resolve(STEPS).resolve(String.format(Locale.ROOT, "%04d", step));
    }

    /** Whether a step was started (its inputs saved) but not committed: resume() finishes it. */
    public boolean hasPendingStep() {
        return Files.isRegularFile(stepFolder(completed).resolve(INPUTS));
    }

    /** The next step's candidates if {@code dataset} with {@code records} records joins: members, then its records. */
    public SampleId[] candidates(String dataset, int records) {
        checkNewDataset(dataset, records);
        SampleId[] out = Arrays.copyOf(members, members.length + records);
        for (int i = 0; i < records; i++) out[members.length + i] = new SampleId(dataset, i);
        return out;
    }

    /**
     * Runs and commits the next step: {@code dataset} joins with {@code records} records (its LLaVA-JSON file
     * {@code json} may be null; if given, its record count must match).
     * @param vectors [N, d] .npy, one row per candidate in candidates() order
     * @param scores  scorer → [N] scores in the same order; iteration order = expert order
     */
    public StepResult step(String dataset, int records, Path json, Path vectors, Map<String, float[]> scores,
                           KMeans.Progress progress) throws IOException {
        if (hasPendingStep()) {
            throw new IllegalStateException("step " + completed + " was started and not finished: resume() it, or delete "
                    + stepFolder(completed) + " to discard it");
        }
        SampleId[] candidates = candidates(dataset, records);
        if (json != null) {
            int n = SelectedRecords.count(json);
            if (n != records) throw new IllegalArgumentException(json + " has " + n + " records, dataset '" + dataset + "' was given " + records);
        }
        NpyVectors v = NpyVectors.open(vectors);
        if (v.size() != candidates.length) {
            throw new IllegalArgumentException(vectors + " has " + v.size() + " rows for " + candidates.length + " pool samples ("
                    + members.length + " members + " + records + " records of '" + dataset + "')");
        }
        for (var e : scores.entrySet()) {
            if (!SCORER_NAME.matcher(e.getKey()).matches()) throw new IllegalArgumentException("scorer name '" + e.getKey() + "' is not a plain file name");
            if (e.getValue().length != candidates.length) {
                throw new IllegalArgumentException("scorer '" + e.getKey() + "' has " + e.getValue().length + " scores for "
                        + candidates.length + " pool samples");
            }
        }
        PoolStep.check(v, scores, config);                                   // fail before anything is saved
        Dataset joining = new Dataset(dataset, records, completed, json == null ? null : json.toAbsolutePath().normalize());
        saveInputs(joining, candidates, v, scores);
        return finish(joining, candidates, v, scores, false, progress);
    }

    /** Finishes the pending step from its folder (see the class comment). */
    public StepResult resume(KMeans.Progress progress) throws IOException {
        if (!hasPendingStep()) throw new IllegalStateException("no pending step in " + folder);
        Path dir = stepFolder(completed);
        JsonNode in = StepFolder.read(dir.resolve(INPUTS));
        JsonNode d = in.path("dataset");
        Dataset joining = new Dataset(d.path("name").asText(), d.path("records").asInt(), completed,
                d.path("json").isNull() ? null : Path.of(d.path("json").asText()));
        SampleId[] candidates = readCandidates(dir, withNew(joining));
        SampleId[] expected = candidates(joining.name(), joining.records());
        if (!Arrays.equals(candidates, expected)) throw new IOException(dir + ": the saved candidates are not the pool's members plus '" + joining.name() + "'");
        JsonNode ref = in.path("vectors");
        Path file = Path.of(ref.path("file").asText());
        NpyVectors v = NpyVectors.open(file);
        if (v.size() != ref.path("rows").asInt() || v.dim() != ref.path("dim").asInt() || Files.size(file) != ref.path("bytes").asLong()
                || !sha256(file).equals(ref.path("sha256").asText())) {
            throw new IOException(file + " changed since step " + completed + " started (" + dir.resolve(INPUTS) + " records its size and SHA-256)");
        }
        Map<String, float[]> scores = new LinkedHashMap<>();
        for (JsonNode name : in.path("scorers")) scores.put(name.asText(), readScores(dir.resolve(SCORES).resolve(name.asText() + ".npy"), candidates.length));
        log.info("resuming step {} of {}", completed, folder);
        return finish(joining, candidates, v, scores, true, progress);
    }

    /** A committed step, loaded from its folder (for audits; the report is rebuilt from the saved stages). */
    public StepResult result(int step) throws IOException {
        if (step < 0 || step >= completed) throw new IllegalArgumentException("step " + step + " is not committed (" + completed + " steps)");
        Path dir = stepFolder(step);
        JsonNode in = StepFolder.read(dir.resolve(INPUTS));
        SampleId[] candidates = readCandidates(dir, datasets);
        int n = candidates.length;
        StepFolder f = new StepFolder(dir);
        PoolStep.Clustering c = f.loadClustering(n);
        Selection s = f.loadSelection();
        PermanentPruning.Result p = f.loadPruning(n);
        if (c == null || s == null || p == null) throw new IOException(dir + ": a committed step lacks saved stages");
        PoolStep.Outcome outcome = new PoolStep.Outcome(step, n, c, s, p);
        List<String> scorers = new ArrayList<>();
        in.path("scorers").forEach(x -> scorers.add(x.asText()));
        return new StepResult(outcome, candidates, StepReport.of(outcome, config, scorers, in.path("dataset").path("name").asText()), dir);
    }

    // ------------------------------------------------------------------------------------------- internals

    private void checkNewDataset(String dataset, int records) {
        if (dataset == null || dataset.isEmpty()) throw new IllegalArgumentException("a dataset needs a name");
        if (records < 0) throw new IllegalArgumentException("dataset '" + dataset + "' has a negative record count " + records);
        for (Dataset d : datasets) {
            if (d.name().equals(dataset)) {
                throw new IllegalArgumentException("dataset '" + dataset + "' already joined the pool at step " + d.step()
                        + "; a dataset joins once (so pruned samples never return)");
            }
        }
    }

    private List<Dataset> withNew(Dataset joining) {
        List<Dataset> all = new ArrayList<>(datasets);
        all.add(joining);
        return all;
    }

    private void saveInputs(Dataset joining, SampleId[] candidates, NpyVectors v, Map<String, float[]> scores) throws IOException {
        Path dir = stepFolder(completed);
        if (Files.exists(dir)) FileTrees.delete(dir);                          // leftovers of a discarded step: no stale stages
        Files.createDirectories(dir.resolve(SCORES));
        List<Dataset> all = withNew(joining);
        Map<String, Integer> number = new HashMap<>();
        for (int i = 0; i < all.size(); i++) number.put(all.get(i).name(), i);
        int[] pairs = new int[candidates.length * 2];
        for (int i = 0; i < candidates.length; i++) {
            pairs[2 * i] = number.get(candidates[i].dataset());
            pairs[2 * i + 1] = candidates[i].index();
        }
        try (Tensor t = Tensor.ofInts(pairs, candidates.length, 2)) {
            Npy.write(dir.resolve(CANDIDATES), t);
        }
        for (var e : scores.entrySet()) {
            try (Tensor t = Tensor.of(e.getValue(), e.getValue().length)) {
                Npy.write(dir.resolve(SCORES).resolve(e.getKey() + ".npy"), t);
            }
        }
        ObjectNode o = StepFolder.JSON.createObjectNode();
        o.put("step", completed);
        ObjectNode d = o.putObject("dataset").put("name", joining.name()).put("records", joining.records());
        if (joining.json() == null) d.putNull("json"); else d.put("json", joining.json().toString());
        o.put("candidates", candidates.length);
        Path file = v.file().toAbsolutePath().normalize();
        o.putObject("vectors").put("file", file.toString()).put("rows", v.size()).put("dim", v.dim())
                .put("dtype", v.dtype().name()).put("bytes", Files.size(file)).put("sha256", sha256(file));
        ArrayNode names = o.putArray("scorers");
        scores.keySet().forEach(names::add);
        StepFolder.write(dir.resolve(INPUTS), o);
    }

    private StepResult finish(Dataset joining, SampleId[] candidates, NpyVectors v, Map<String, float[]> scores, boolean resume,
                              KMeans.Progress progress) throws IOException {
        Path dir = stepFolder(completed);
        StepFolder f = new StepFolder(dir);
        PoolStep.Outcome outcome = PoolStep.run(v, scores, config, completed, f, resume, progress, backend);
        StepReport report = StepReport.of(outcome, config, List.copyOf(scores.keySet()), joining.name());
        f.saveReport(report);
        StepResult result = new StepResult(outcome, candidates, report, dir);
        List<Dataset> all = withNew(joining);
        if (all.stream().allMatch(d -> d.json() != null)) {
            Map<String, Path> files = new HashMap<>();
            all.forEach(d -> files.put(d.name(), d.json()));
            SelectedRecords.write(dir.resolve(SELECTED_RECORDS), List.of(result.selectedIds()), files);
        }
        datasets.add(joining);
        members = result.keptIds();
        completed++;
        commit();
        log.info("step {}: '{}' joined with {} records; pool {} -> {} samples, {} selected", joining.step(), joining.name(),
                joining.records(), candidates.length, members.length, outcome.selection().size());
        return result;
    }

    /** Rewrites pool.json: the commit point of a step. */
    private void commit() throws IOException {
        ObjectNode o = StepFolder.JSON.createObjectNode();
        o.put("format", FORMAT);
        o.set("config", config.toJson());
        ArrayNode ds = o.putArray("datasets");
        for (Dataset d : datasets) {
            ObjectNode e = ds.addObject().put("name", d.name()).put("records", d.records()).put("step", d.step());
            if (d.json() == null) e.putNull("json"); else e.put("json", d.json().toString());
        }
        o.put("completed_steps", completed);
        StepFolder.write(folder.resolve(POOL_FILE), o);
    }

    private static SampleId[] readCandidates(Path dir, List<Dataset> datasets) throws IOException {
        Path file = dir.resolve(CANDIDATES);
        try (Tensor t = Npy.read(file)) {
            if (t.dtype() != DType.I32 || t.rank() != 2 || t.size(1) != 2) throw new IOException(file + ": expected i32 [N, 2], got " + t);
            long[] v = t.toLongArray();
            SampleId[] out = new SampleId[t.size(0)];
            for (int i = 0; i < out.length; i++) {
                int d = (int) v[2 * i];
                if (d < 0 || d >= datasets.size()) throw new IOException(file + ": dataset number " + d + " of candidate " + i + " is unknown");
                out[i] = new SampleId(datasets.get(d).name(), (int) v[2 * i + 1]);
            }
            return out;
        }
    }

    private static float[] readScores(Path file, int n) throws IOException {
        try (Tensor t = Npy.read(file)) {
            if (t.dtype() != DType.F32 || t.rank() != 1 || t.size(0) != n) throw new IOException(file + ": expected f32 [" + n + "], got " + t);
            return t.toFloatArray();
        }
    }


    /** Hex SHA-256 of a file's bytes. */
    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int r; (r = in.read(buf)) > 0; ) md.update(buf, 0, r);
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
