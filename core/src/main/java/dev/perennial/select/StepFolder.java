/*
 * The files of one ADAPT-∞ step (docs/methods/adapt-inf.md Appendix A: "log experts chosen per cluster, B_k, and the sizes"),
 * so that a step can be audited afterwards and resumed after a crash. `perennial select --out DIR` writes the
 * same files. Positions are into the step's pool (0..N−1).
 *
 *   labels.npy        i32 [N]     cluster of every pool sample, −1 for an invalid sample (NaN/±∞ vector)
 *   centroids.npy     f32 [K, d]
 *   clustering.json   K, inertia, iterations, converged, and the K-choice table when K came from a range
 *   selected_ids.json [positions] the selection S_t, ascending
 *   selection.json    B and, per cluster, size, B_k, expert, entropies (bits), eligible, selected; non-finite
 *                     score counts per scorer
 *   kept_ids.json     [positions] the pool after permanent pruning (only when something was pruned)
 *   redundancy.npy    f32 [N]     M_j of §7.1 (only when something was pruned; NaN for invalid samples)
 *   pruning.json      whether the pool was pruned, keep_k per cluster
 *   report.json, report.png  the StepReport
 *
 * Every file is written atomically (temp + rename, AtomicFiles). Each stage writes its .json last, so the .json
 * marks the stage as complete: load*() return null while it is absent, and a stage interrupted before its
 * .json is simply recomputed. Entropies that are NaN (CODE_COMPAT) are stored as JSON null.
 */
package dev.perennial.select;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.Npy;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The files of one ADAPT-∞ step, for audit and resume: labels i32 {@code [N]} and centroids f32 {@code [K, d]} as
 * {@code .npy}, selection and pruning as JSON, redundancy f32 {@code [N]}, and the report. Each stage's {@code .json}
 * is written last, so {@code load*} return null for an incomplete stage; every file is written atomically.
 * <p>Thread-safe in memory (a final path and a never-reconfigured static {@code ObjectMapper}), but its methods read
 * and write the folder: do not save and load the same stage from several threads at once.
 */
public final class StepFolder {
    static final ObjectMapper JSON = new ObjectMapper();

    public static final String LABELS = "labels.npy", CENTROIDS = "centroids.npy", CLUSTERING = "clustering.json",
            SELECTED = "selected_ids.json", SELECTION = "selection.json", KEPT = "kept_ids.json",
            REDUNDANCY = "redundancy.npy", PRUNING = "pruning.json", REPORT_JSON = "report.json", REPORT_PNG = "report.png";

    private final Path dir;

    /** The step folder {@code dir}; created (with parents) when the first file is written. */
    public StepFolder(Path dir) {
        this.dir = dir;
    }

    // ------------------------------------------------------------------------------------------- clustering

    public void saveClustering(PoolStep.Clustering c) throws IOException {
        Files.createDirectories(dir);
        int n = c.labels().length, k = c.clusters(), d = c.centroids().length == 0 ? 0 : c.centroids()[0].length;
        try (Tensor labels = Tensor.ofInts(c.labels(), n)) {
            Npy.write(dir.resolve(LABELS), labels);
        }
        float[] flat = new float[k * d];
        for (int i = 0; i < k; i++) System.arraycopy(c.centroids()[i], 0, flat, i * d, d);
        try (Tensor centroids = Tensor.of(flat, k, d)) {
            Npy.write(dir.resolve(CENTROIDS), centroids);
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("clusters", k).put("inertia", c.inertia()).put("iterations", c.iterations()).put("converged", c.converged());
        ArrayNode table = o.putArray("k_choice");
        for (KChooser.Row r : c.kChoice()) {
            ObjectNode row = table.addObject().put("k", r.clusters()).put("wss", r.wss()).put("sum_of_distances", r.sumOfDistances());
            putNumber(row, "silhouette", r.silhouette());
        }
        write(dir.resolve(CLUSTERING), o);
    }

    /** The saved clustering of a pool of n samples, or null when the stage is not complete. */
    public PoolStep.Clustering loadClustering(int n) throws IOException {
        Path marker = dir.resolve(CLUSTERING);
        if (!Files.isRegularFile(marker)) return null;
        JsonNode o = read(marker);
        int k = o.path("clusters").asInt();
        int[] labels;
        try (Tensor t = Npy.read(dir.resolve(LABELS))) {
            if (t.dtype() != DType.I32 || t.rank() != 1 || t.size(0) != n) {
                throw new IOException(dir.resolve(LABELS) + ": expected i32 [" + n + "], got " + t);
            }
            labels = Arrays.stream(t.toLongArray()).mapToInt(v -> (int) v).toArray();
        }
        for (int l : labels) if (l < -1 || l >= k) throw new IOException(dir.resolve(LABELS) + ": label " + l + " outside [0, " + k + ") and not −1 (invalid)");
        float[][] centroids;
        try (Tensor t = Npy.read(dir.resolve(CENTROIDS))) {
            if (t.dtype() != DType.F32 || t.rank() != 2 || t.size(0) != k) {
                throw new IOException(dir.resolve(CENTROIDS) + ": expected f32 [" + k + ", d], got " + t);
            }
            centroids = new float[k][];
            for (int i = 0; i < k; i++) centroids[i] = t.select(0, i).toFloatArray();
        }
        List<KChooser.Row> table = new ArrayList<>();
        for (JsonNode r : o.path("k_choice")) {
            table.add(new KChooser.Row(r.path("k").asInt(), r.path("wss").asDouble(), r.path("sum_of_distances").asDouble(),
                    number(r.path("silhouette"))));
        }
        return new PoolStep.Clustering(k, labels, centroids, o.path("inertia").asDouble(), o.path("iterations").asInt(),
                o.path("converged").asBoolean(), List.copyOf(table));
    }

    // ------------------------------------------------------------------------------------------- selection

    public void saveSelection(Selection s) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve(SELECTED), positions(s.selected()));
        ObjectNode o = JSON.createObjectNode();
        o.put("budget", s.budget());
        ArrayNode clusters = o.putArray("clusters");
        for (Selection.ClusterReport c : s.clusters()) {
            ObjectNode r = clusters.addObject().put("cluster", c.cluster()).put("size", c.size());
            if (c.budget() == null) r.putNull("budget"); else r.put("budget", c.budget());
            r.put("expert", c.expert());
            ObjectNode h = r.putObject("entropy_bits");
            c.entropyBits().forEach((name, bits) -> putNumber(h, name, bits));
            r.put("eligible", c.eligible()).put("selected", c.selected());
        }
        ObjectNode bad = o.putObject("non_finite_scores");
        s.nonFiniteScores().forEach(bad::put);
        write(dir.resolve(SELECTION), o);
    }

    /** The saved selection, or null when the stage is not complete. */
    public Selection loadSelection() throws IOException {
        Path marker = dir.resolve(SELECTION);
        if (!Files.isRegularFile(marker)) return null;
        JsonNode o = read(marker);
        int[] selected = positions(read(dir.resolve(SELECTED)), dir.resolve(SELECTED));
        List<Selection.ClusterReport> clusters = new ArrayList<>();
        for (JsonNode r : o.path("clusters")) {
            Map<String, Double> h = new LinkedHashMap<>();
            r.path("entropy_bits").fields().forEachRemaining(e -> h.put(e.getKey(), number(e.getValue())));
            JsonNode budget = r.path("budget"), expert = r.path("expert");
            clusters.add(new Selection.ClusterReport(r.path("cluster").asInt(), r.path("size").asInt(),
                    budget.isNull() ? null : budget.asInt(), expert.isNull() ? null : expert.asText(),
                    Collections.unmodifiableMap(h), r.path("eligible").asInt(), r.path("selected").asInt()));
        }
        Map<String, Integer> bad = new LinkedHashMap<>();
        o.path("non_finite_scores").fields().forEachRemaining(e -> bad.put(e.getKey(), e.getValue().asInt()));
        return new Selection(selected, o.path("budget").asInt(), Collections.unmodifiableList(clusters), Collections.unmodifiableMap(bad));
    }

    // ------------------------------------------------------------------------------------------- pruning

    public void savePruning(PermanentPruning.Result r) throws IOException {
        Files.createDirectories(dir);
        if (r.pruned()) {
            write(dir.resolve(KEPT), positions(r.kept()));
            try (Tensor m = Tensor.of(r.redundancy(), r.redundancy().length)) {
                Npy.write(dir.resolve(REDUNDANCY), m);
            }
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("pruned", r.pruned());
        ArrayNode keep = o.putArray("keep_budgets");
        for (int k : r.keepBudgets()) keep.add(k);
        write(dir.resolve(PRUNING), o);
    }

    /** The saved pruning of a pool of n samples, or null when the stage is not complete. */
    public PermanentPruning.Result loadPruning(int n) throws IOException {
        Path marker = dir.resolve(PRUNING);
        if (!Files.isRegularFile(marker)) return null;
        JsonNode o = read(marker);
        int[] keep = new int[o.path("keep_budgets").size()];
        for (int i = 0; i < keep.length; i++) keep[i] = o.path("keep_budgets").get(i).asInt();
        if (!o.path("pruned").asBoolean()) return new PermanentPruning.Result(false, IntStream.range(0, n).toArray(), new float[0], keep);
        int[] kept = positions(read(dir.resolve(KEPT)), dir.resolve(KEPT));
        float[] m;
        try (Tensor t = Npy.read(dir.resolve(REDUNDANCY))) {
            if (t.dtype() != DType.F32 || t.rank() != 1 || t.size(0) != n) {
                throw new IOException(dir.resolve(REDUNDANCY) + ": expected f32 [" + n + "], got " + t);
            }
            m = t.toFloatArray();
        }
        return new PermanentPruning.Result(true, kept, m, keep);
    }

    // ------------------------------------------------------------------------------------------- report

    /** report.json and report.png. */
    public void saveReport(StepReport report) throws IOException {
        Files.createDirectories(dir);
        write(dir.resolve(REPORT_JSON), report.toJson());
        StepChart.write(report, dir.resolve(REPORT_PNG));
    }

    // ------------------------------------------------------------------------------------------- helpers

    /** Writes {@code node} as pretty-printed JSON, atomically. */
    static void write(Path file, JsonNode node) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        AtomicFiles.write(file, bytes);
    }

    static JsonNode read(Path file) throws IOException {
        try {
            return JSON.readTree(Files.readAllBytes(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    static ArrayNode positions(int[] p) {
        ArrayNode a = JSON.createArrayNode();
        for (int v : p) a.add(v);
        return a;
    }

    private static int[] positions(JsonNode a, Path file) throws IOException {
        if (!a.isArray()) throw new IOException(file + ": expected a JSON array of positions");
        int[] p = new int[a.size()];
        for (int i = 0; i < p.length; i++) p[i] = a.get(i).asInt();
        return p;
    }

    /** A double as a JSON number, NaN as null (JSON has no NaN). */
    static void putNumber(ObjectNode o, String name, double v) {
        if (Double.isNaN(v)) o.putNull(name); else o.put(name, v);
    }

    private static double number(JsonNode v) {
        return v.isNull() || v.isMissingNode() ? Double.NaN : v.asDouble();
    }
}
