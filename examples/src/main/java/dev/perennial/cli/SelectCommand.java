/*
 * `perennial select`: one ADAPT-∞ selection step (docs/methods/adapt-inf.md Appendix A, §3, §6, §7) on vectors and
 * scores computed elsewhere (`perennial score` writes them): k-means on the vectors, per cluster the expert with the
 * most spread-out score histogram, CCS sampling of the cluster's share of the budget, and optionally permanent
 * pruning to --prune-to; --n-init sets the k-means restarts (docs/methods/adapt-inf.md §3). It is step 0 of a data
 * pool (PoolStep with StepConfig), so the same inputs in a DataPool's first step give the same files. --out receives
 * the StepFolder files: labels.npy (i32 [N]), centroids.npy (f32 [K, k]), selected_ids.json (pool indices),
 * report.json, report.png, the stage records (clustering.json, selection.json, pruning.json; kept_ids.json and
 * redundancy.npy when pruned) and, with --data, selected.json (the selected LLaVA records, each with
 * "perennial_source" = its file's name).
 *
 * Inputs: --vectors V.npy, f32/f16 [N, k] (memory-mapped, any size); --scores DIR, every *.npy in it except the
 * vectors file itself, the --labels file and a step's labels.npy, centroids.npy and redundancy.npy is a scorer named after the file, f32 (or f64, converted) [N], in file-name order (the expert
 * order: ties go to the earlier name); --data FILE.json[,FILE2.json], whose records, concatenated in order, are the N
 * rows. Bad input is one line on stderr and exit code 1: a missing file or folder, a malformed .npy, a score file of
 * another shape or dtype, scores and vectors of different lengths, a --data record count other than N, K (or the top
 * of --choose-k) larger than N, --n-init below 1. Defined behaviours: NaN scores are counted in the report and are
 * never selected on their expert's score (MultiWaySelection); empty clusters show in the report with size 0; a budget
 * larger than N selects what the modes allow from every cluster; a vector row with NaN or ±∞ is an invalid sample
 * (PoolStep): left out of clustering and selection, counted in report.json (non_finite_vectors) and on stdout, warned
 * about once.
 *
 * --labels F.npy takes the clusters from a file instead of k-means (perennial-spark's labels.npy; GivenLabels): the
 * selection and pruning then run cluster by cluster (ClusterwiseStep, the code the Spark job runs on its executors),
 * so the same labels, vectors, scores and settings give the Spark job's selected_ids.json exactly; centroids.npy
 * holds the clusters' means.
 */
package dev.perennial.cli;

import dev.perennial.io.Fingerprint;
import dev.perennial.io.Npy;
import dev.perennial.io.OutputFolder;
import dev.perennial.cluster.KMeans;
import dev.perennial.select.ClusterwiseStep;
import dev.perennial.select.NpyVectors;
import dev.perennial.select.PoolStep;
import dev.perennial.select.SampleId;
import dev.perennial.select.SelectedRecords;
import dev.perennial.select.StepConfig;
import dev.perennial.select.StepFolder;
import dev.perennial.select.StepReport;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

@Command(name = "select", mixinStandardHelpOptions = true,
        description = "ADAPT-∞ data selection on precomputed vectors and scores (one step: cluster, select, optionally prune).")
final class SelectCommand implements Callable<Integer> {
    enum KMeansKind { full, minibatch }

    enum Assign { exact, gemm }

    @Spec
    CommandSpec spec;

    @Option(names = "--vectors", required = true, description = "Sample vectors, f32 or f16 [N, k] .npy.")
    Path vectors;

    @Option(names = "--scores", required = true, description = "Folder whose *.npy files are the scorers' f32 [N] scores.")
    Path scores;

    @Option(names = "--budget", required = true, description = "B, samples to select.")
    int budget;

    static final class KOption {
        @Option(names = "--clusters", required = true, description = "K, the number of pseudo-task clusters.")
        Integer clusters;

        @Option(names = "--choose-k", required = true, description = "MIN:MAX, choose K by mean silhouette.")
        String range;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    KOption k;

    @Option(names = "--labels", paramLabel = "F.npy",
            description = "Cluster labels (int32/int64 [N]; -1 = invalid sample) used instead of k-means, e.g. perennial-spark's labels.npy; "
                    + "K is --clusters, else the largest label + 1.")
    Path labels;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of k-means and sampling (default 0).")
    long seed;

    @Option(names = "--compat", description = "The official code's selection and pruning (CODE_COMPAT modes).")
    boolean compat;

    @Option(names = "--prune-to", description = "P_max: permanently prune the pool to this size after selection.")
    Integer pruneTo;

    @Option(names = "--prune-before-selection", description = "Prune first, then select from the pruned pool.")
    boolean pruneBefore;

    @Option(names = "--data", split = ",", description = "LLaVA-JSON file(s) whose records are the N rows; writes selected.json.")
    List<Path> data;

    @Option(names = "--kmeans", defaultValue = "minibatch", description = "full (Lloyd) or minibatch (default, as the official code).")
    KMeansKind kmeans;

    @Option(names = "--kmeans-assign", defaultValue = "exact", description = "exact (default) or gemm (faster, near-ties may differ).")
    Assign assign;

    @Option(names = "--n-init", defaultValue = "" + KMeans.DEFAULT_N_INIT, paramLabel = "N",
            description = "k-means initialisations tried; the lowest inertia on a sample starts the fit (default ${DEFAULT-VALUE}; 1 = one k-means++ start).")
    int nInit;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Mixin
    OutputGuard guard;

    @Mixin
    BackendOption backendOption;

    @Override
    public Integer call() throws Exception {
        if (k == null && labels == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required argument: --clusters=<clusters> or --choose-k=<range> (or --labels)");
        }
        if (labels != null && k != null && k.range != null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--labels gives the clusters: --choose-k does not apply");
        }
        if (labels != null && pruneBefore) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--labels selects cluster by cluster, which does not support --prune-before-selection");
        }
        try (OutputFolder folder = OutputFolder.lock(out, "select")) {
            Fingerprint settings = Fingerprint.builder().put("vectors", Fingerprint.fileDigest(vectors)).put("scores", scoreFiles())
                    .put("budget", budget).put("clusters", k == null ? null : k.clusters).put("choose-k", k == null ? null : k.range)
                    .put("labels", labels == null ? null : Fingerprint.fileDigest(labels)).put("seed", seed).put("compat", compat)
                    .put("prune-to", pruneTo).put("prune-before-selection", pruneBefore).put("data", OutputGuard.files(data))
                    .put("kmeans", kmeans).put("kmeans-assign", assign).put("n-init", nInit).build();
            folder.start(settings, false, guard.overwrite);
            select();
            folder.finish();
        }
        return 0;
    }

    /** The score files' names and contents. */
    private String scoreFiles() throws java.io.IOException {
        try (var s = Files.list(scores)) {
            return OutputGuard.files(s.filter(p -> p.getFileName().toString().endsWith(".npy")).sorted().toList());
        }
    }

    private void select() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        NpyVectors v = NpyVectors.open(vectors);
        int n = v.size();
        Map<String, float[]> scoreMap = readScores(n);
        List<Source> sources = data == null ? List.of() : sources(n);
        int[] given = labels == null ? null : GivenLabels.read(labels, n, k == null ? null : k.clusters);
        StepConfig config = config(given == null ? null : GivenLabels.clusters(given, k == null ? null : k.clusters));

        StepFolder folder = new StepFolder(out);
        PoolStep.Outcome outcome;
        if (given != null) {
            // the clusters as given (perennial-spark's labels): selection and pruning cluster by cluster, as the Spark job does
            PoolStep.Clustering clustering = GivenLabels.clustering(given, config.kmeans().clusters(), v);
            folder.saveClustering(clustering);
            outcome = ClusterwiseStep.run(clustering, scoreMap, config, 0,
                    ClusterwiseStep.local(v, given, clustering.clusters(), scoreMap, config, 0, backendOption.backend()));
            folder.saveSelection(outcome.selection());
            folder.savePruning(outcome.pruning());
        } else {
            ProgressReporter progress = ProgressReporter.on(stderr, "k-means",
                    config.kmeans().variant() == KMeans.Variant.LLOYD ? "iterations" : "epochs");
            outcome = PoolStep.run(v, scoreMap, config, 0, folder, false, s -> {
                progress.update(s.finished() ? s.max() : s.done(), s.max(),
                        String.format(Locale.ROOT, "shift %.3g %.0f points/s ETA <= %.0fs", s.shift(), s.pointsPerSecond(), s.etaSeconds()));
                if (s.finished()) progress.finish();
            }, backendOption.backend());
        }
        StepReport report = StepReport.of(outcome, config, List.copyOf(scoreMap.keySet()), null);
        folder.saveReport(report);
        if (!sources.isEmpty()) writeSelectedRecords(sources, outcome.selection().selected());

        Map<String, Integer> experts = new TreeMap<>();
        for (StepReport.Cluster c : report.clusters()) if (c.expert() != null) experts.merge(c.expert(), 1, Integer::sum);
        stdout.printf(Locale.ROOT, "selected %d of %d samples (budget %d) in K = %d clusters; experts %s%s%s%n", report.selected(), n,
                budget, outcome.clustering().clusters(), experts,
                report.nonFiniteVectors() > 0 ? "; " + report.nonFiniteVectors() + " invalid (NaN/Inf vector), not clustered" : "",
                report.pruned() ? "; pruned the pool to " + report.poolAfter() : "");
        stdout.printf("wrote %s%n", out);
    }

    /** The step's settings; {@code givenClusters}: K of --labels, or null. */
    private StepConfig config(Integer givenClusters) {
        if (nInit < 1) throw new IllegalArgumentException("--n-init must be at least 1, got " + nInit);
        StepConfig.KRange range = k == null || k.range == null ? null : parseRange(k.range);
        int clusters = givenClusters != null ? givenClusters : range == null ? k.clusters : range.min();
        StepConfig c = StepConfig.defaults(budget, clusters).withChooseK(range);
        c = c.withKMeans(c.kmeans().withVariant(kmeans == KMeansKind.full ? KMeans.Variant.LLOYD : KMeans.Variant.MINI_BATCH)
                        .withAssignment(assign == Assign.gemm ? KMeans.Assignment.GEMM : KMeans.Assignment.EXACT).withNInit(nInit))
                .withPoolCap(pruneTo).withPruneBeforeSelection(pruneBefore).withSeed(seed);
        return compat ? c.codeCompat() : c;
    }

    private static StepConfig.KRange parseRange(String text) {
        String[] parts = text.split(":", -1);
        try {
            if (parts.length == 2) return new StepConfig.KRange(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--choose-k expects MIN:MAX (two integers), got '" + text + "'");
    }

    /** The .npy files a step writes beside the scores (perennial-spark's output folder holds both). */
    private static final java.util.Set<String> STEP_OUTPUTS = java.util.Set.of(StepFolder.LABELS, StepFolder.CENTROIDS, StepFolder.REDUNDANCY);

    /** Every *.npy in --scores except the vectors file, the labels file and a step's own outputs, by file name: name → [N] scores. */
    private Map<String, float[]> readScores(int n) throws IOException {
        if (!Files.isDirectory(scores)) {
            if (!Files.exists(scores)) throw new NoSuchFileException(scores.toString());
            throw new IllegalArgumentException(scores + ": --scores must be a folder of *.npy score files");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(scores)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(".npy") && Files.isRegularFile(p)).sorted().toList();
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Path f : files) {
            if (Files.isSameFile(f, vectors) || (labels != null && Files.isSameFile(f, labels))) continue;
            if (STEP_OUTPUTS.contains(f.getFileName().toString())) continue;      // a step's own files (the Spark job's output folder)
            String name = f.getFileName().toString();
            name = name.substring(0, name.length() - ".npy".length());
            try (Tensor t = Npy.read(f)) {
                if (t.rank() != 1 || (t.dtype() != DType.F32 && t.dtype() != DType.F64)) {
                    throw new IllegalArgumentException(f + ": expected scores as float32 [N], got " + t.dtype() + " "
                            + Arrays.toString(t.shape()));
                }
                if (t.size(0) != n) {
                    throw new IllegalArgumentException(f + " has " + t.size(0) + " scores, " + vectors + " has " + n + " rows");
                }
                out.put(name, t.toFloatArray());
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(scores + ": no *.npy score files");
        return out;
    }

    /** A --data file: its dataset name (the file name), and its first row among the N. */
    private record Source(String name, Path file, int first, int records) {}

    private List<Source> sources(int n) throws IOException {
        List<Source> out = new ArrayList<>();
        Map<String, Path> seen = new HashMap<>();
        int first = 0;
        for (Path f : data) {
            String name = f.getFileName().toString();
            Path other = seen.put(name, f);
            if (other != null) throw new IllegalArgumentException("--data files " + other + " and " + f + " have the same name '" + name + "'");
            int records = SelectedRecords.count(f);
            out.add(new Source(name, f, first, records));
            first += records;
        }
        if (first != n) {
            throw new IllegalArgumentException("--data has " + first + " records" + (data.size() > 1 ? " in " + data.size() + " files" : "")
                    + ", " + vectors + " has " + n + " rows: they must describe the same samples");
        }
        return out;
    }

    private void writeSelectedRecords(List<Source> sources, int[] selected) throws IOException {
        List<SampleId> ids = new ArrayList<>();
        Map<String, Path> files = new HashMap<>();
        for (Source s : sources) files.put(s.name(), s.file());
        int at = 0;
        for (int p : selected) {
            while (p >= sources.get(at).first() + sources.get(at).records()) at++;
            ids.add(new SampleId(sources.get(at).name(), p - sources.get(at).first()));
        }
        SelectedRecords.write(out.resolve("selected.json"), ids, files);
    }
}
