/*
 * `perennial select` end to end on synthetic .npy inputs (120 unit vectors around 4 directions, two scorers,
 * the records in two LLaVA-JSON files): every output file and its format, selected.json holding the selected
 * records with their source file, agreement with a DataPool's step 0 on the same inputs, pruning and a K range;
 * and every bad-input case of the brief, each a single stderr line with exit code 1 or a defined behaviour.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.Npy;
import dev.perennial.select.DataPool;
import dev.perennial.select.SampleId;
import dev.perennial.select.StepConfig;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SelectCommandTest {
    private static final int N = 120, DIM = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    Path vectors, scores, dataA, dataB;
    float[] el2n, ppl;

    @BeforeEach
    void inputs() throws IOException {
        SplittableRandom rng = new SplittableRandom(17);
        float[] v = new float[N * DIM];
        for (int i = 0; i < N; i++) {
            double norm = 0;
            for (int j = 0; j < DIM; j++) {
                float x = (j == i % 4 ? 4f : 0f) + (float) (rng.nextDouble() - 0.5);
                v[i * DIM + j] = x;
                norm += x * x;
            }
            for (int j = 0; j < DIM; j++) v[i * DIM + j] /= (float) Math.sqrt(norm);
        }
        vectors = dir.resolve("vectors.npy");
        Npy.write(vectors, Tensor.of(v, N, DIM));
        el2n = new float[N];
        ppl = new float[N];
        for (int i = 0; i < N; i++) {
            el2n[i] = (float) rng.nextDouble();
            ppl[i] = (float) Math.exp(3 * rng.nextDouble());
        }
        scores = Files.createDirectories(dir.resolve("scores"));
        Npy.write(scores.resolve("el2n.npy"), Tensor.of(el2n, N));
        Npy.write(scores.resolve("ppl.npy"), Tensor.of(ppl, N));
        dataA = records("a", 70);
        dataB = records("b", 50);
    }

    private Path records(String name, int n) throws IOException {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",\n").append("{\"id\": \"").append(name).append('-').append(i).append("\", \"image\": \"")
                    .append(name).append(i).append(".png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nq\"}, "
                            + "{\"from\": \"gpt\", \"value\": \"a\"}]}");
        }
        return Files.writeString(dir.resolve(name + ".json"), sb.append("]").toString());
    }

    private CliRun select(String out, String... extra) {
        List<String> args = new ArrayList<>(List.of("select", "--vectors", vectors.toString(), "--scores", scores.toString(),
                "--out", dir.resolve(out).toString()));
        args.addAll(Arrays.asList(extra));
        return run(args.toArray(String[]::new));
    }

    private static int[] ints(Path file) throws IOException {
        JsonNode a = JSON.readTree(file.toFile());
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    /** select --backend cuda-emulated: k-means assigns on the device (the kmeans_assign kernel) and pruning multiplies
     *  there, with the same labels, selection and pruning as on the CPU. */
    @Test
    void theEmulatedDeviceSelectsWhatTheCpuSelects() throws IOException {
        String[] common = {"--budget", "24", "--clusters", "4", "--seed", "3", "--prune-to", "100", "--kmeans", "full"};
        CliRun cpu = select("cpu", concat(common, "--backend", "cpu"));
        CliRun device = select("device", concat(common, "--backend", "cuda-emulated"));
        assertEquals(0, cpu.exitCode(), cpu.err());
        assertEquals(0, device.exitCode(), device.err());
        assertArrayEquals(Npy.read(dir.resolve("cpu/labels.npy")).toLongArray(), Npy.read(dir.resolve("device/labels.npy")).toLongArray());
        for (String f : List.of("selected_ids.json", "kept_ids.json")) {
            assertArrayEquals(ints(dir.resolve("cpu").resolve(f)), ints(dir.resolve("device").resolve(f)), f);
        }
        float[] a = Npy.read(dir.resolve("cpu/centroids.npy")).toFloatArray(), b = Npy.read(dir.resolve("device/centroids.npy")).toFloatArray();
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5, "centroid element " + i);
    }

    /** --labels: another run's labels.npy given back selects and prunes exactly as that run did (cluster by cluster). */
    @Test
    void givenLabelsReproduceTheRunThatMadeThem() throws IOException {
        String[] common = {"--budget", "24", "--seed", "3", "--prune-to", "100"};
        CliRun first = select("first", concat(common, "--clusters", "4"));
        assertEquals(0, first.exitCode(), first.err());
        CliRun again = select("again", concat(common, "--labels", dir.resolve("first/labels.npy").toString()));
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("in K = 4 clusters"), again.out());
        assertArrayEquals(Npy.read(dir.resolve("first/labels.npy")).toLongArray(), Npy.read(dir.resolve("again/labels.npy")).toLongArray());
        for (String f : List.of("selected_ids.json", "kept_ids.json")) {
            assertArrayEquals(ints(dir.resolve("first").resolve(f)), ints(dir.resolve("again").resolve(f)), f);
        }
        JsonNode a = JSON.readTree(dir.resolve("first/report.json").toFile()), b = JSON.readTree(dir.resolve("again/report.json").toFile());
        assertEquals(a.get("clusters"), b.get("clusters"), "per-cluster experts, entropies and counts");
    }

    /** --labels of the wrong length, dtype or range, or with --choose-k: one line, exit 1 (or 2 for a usage error). */
    @Test
    void badLabelsAreOneLineErrors() throws IOException {
        Path shortLabels = dir.resolve("short.npy"), floats = dir.resolve("floats.npy"), big = dir.resolve("big.npy");
        Npy.write(shortLabels, Tensor.ofInts(new int[N - 1], N - 1));
        Npy.write(floats, Tensor.of(new float[N], N));
        int[] l = new int[N];
        l[7] = 9;
        Npy.write(big, Tensor.ofInts(l, N));
        CliRun r = select("o1", "--budget", "10", "--labels", shortLabels.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("has 119 labels, the vectors have 120 rows"), r.err());
        r = select("o2", "--budget", "10", "--labels", floats.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("expected cluster labels as int32 or int64 [N]"), r.err());
        r = select("o3", "--budget", "10", "--clusters", "4", "--labels", big.toString());
        assertEquals(1, r.exitCode());
        assertTrue(r.err().contains("label 9 of row 7 is not −1 (invalid) nor in [0, 4)"), r.err());
        r = select("o4", "--budget", "10", "--choose-k", "2:4", "--labels", big.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--choose-k does not apply"), r.err());
        r = select("o5", "--budget", "10");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--clusters"), r.err());
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void selectsAndWritesEveryOutput() throws IOException {
        CliRun r = select("out", "--budget", "24", "--clusters", "4", "--seed", "3", "--data", dataA + "," + dataB);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("selected 24 of 120 samples (budget 24) in K = 4 clusters; experts {"), r.out());
        assertTrue(r.err().contains("k-means [") && r.err().contains("points/s"), r.err());
        Path out = dir.resolve("out");

        Tensor labels = Npy.read(out.resolve("labels.npy"));
        assertEquals(DType.I32, labels.dtype());
        assertArrayEquals(new int[]{N}, labels.shape());
        long[] l = labels.toLongArray();
        for (long x : l) assertTrue(x >= 0 && x < 4);
        Tensor centroids = Npy.read(out.resolve("centroids.npy"));
        assertEquals(DType.F32, centroids.dtype());
        assertArrayEquals(new int[]{4, DIM}, centroids.shape());

        int[] selected = ints(out.resolve("selected_ids.json"));
        assertEquals(24, selected.length);
        for (int i = 1; i < selected.length; i++) assertTrue(selected[i - 1] < selected[i]);
        assertTrue(selected[0] >= 0 && selected[23] < N);

        JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
        assertEquals(0, report.get("step").asInt());
        assertTrue(report.get("dataset").isNull());
        assertEquals(N, report.get("pool_size").asInt());
        assertEquals(24, report.get("budget").asInt());
        assertEquals(24, report.get("selected").asInt());
        assertEquals("[\"el2n\",\"ppl\"]", report.get("scorers").toString());
        assertFalse(report.get("modes").get("compat").asBoolean());
        assertEquals("MINI_BATCH", report.get("modes").get("kmeans").asText());
        assertEquals(3, report.get("seeds").get("selection").asLong());
        assertEquals("{\"el2n\":0,\"ppl\":0}", report.get("nan_scores").toString());
        int[] perCluster = new int[4];
        for (int p : selected) perCluster[(int) l[p]]++;
        for (JsonNode c : report.get("clusters")) {
            int id = c.get("id").asInt();
            assertEquals(30, c.get("size").asInt());
            assertEquals(6, c.get("budget").asInt());
            assertEquals(perCluster[id], c.get("selected").asInt());
            assertTrue(List.of("el2n", "ppl").contains(c.get("expert").asText()));
            assertEquals(2, c.get("entropies").size());
        }
        assertFalse(report.get("pruning").get("pruned").asBoolean());
        assertEquals(N, report.get("pruning").get("pool_after").asInt());
        assertNotNull(ImageIO.read(out.resolve("report.png").toFile()));
        assertFalse(Files.exists(out.resolve("kept_ids.json")));

        JsonNode records = JSON.readTree(out.resolve("selected.json").toFile());
        assertEquals(24, records.size());
        for (int i = 0; i < 24; i++) {
            int p = selected[i];
            String file = p < 70 ? "a" : "b";
            int index = p < 70 ? p : p - 70;
            JsonNode rec = records.get(i);
            assertEquals(file + "-" + index, rec.get("id").asText());
            assertEquals(file + index + ".png", rec.get("image").asText());
            assertEquals(file + ".json", rec.get("perennial_source").asText());
        }
        assertTrue(Arrays.stream(selected).anyMatch(p -> p < 70) && Arrays.stream(selected).anyMatch(p -> p >= 70));
    }

    /** `select` is step 0 of a data pool: the same inputs and settings give the same labels and selection. */
    @Test
    void agreesWithTheFirstStepOfADataPool() throws IOException {
        CliRun r = select("out", "--budget", "30", "--clusters", "3", "--seed", "9", "--prune-to", "90");
        assertEquals(0, r.exitCode(), r.err());
        DataPool pool = DataPool.create(dir.resolve("pool"), StepConfig.defaults(30, 3).withSeed(9).withPoolCap(90));
        Map<String, float[]> s = new LinkedHashMap<>();
        s.put("el2n", el2n);
        s.put("ppl", ppl);
        DataPool.StepResult step = pool.step("all", N, null, vectors, s, null);
        assertArrayEquals(step.outcome().selection().selected(), ints(dir.resolve("out/selected_ids.json")));
        assertArrayEquals(step.outcome().pruning().kept(), ints(dir.resolve("out/kept_ids.json")));
        assertArrayEquals(Arrays.stream(step.outcome().clustering().labels()).asLongStream().toArray(),
                Npy.read(dir.resolve("out/labels.npy")).toLongArray());
        assertEquals(new SampleId("all", step.outcome().selection().selected()[0]), step.selectedIds()[0]);
    }

    /**
     * --n-init reaches the clustering: with 3 clusters for 4 directions one start and the default restarts end in
     * different optima here, and the command's labels and inertia are those of a data pool configured with its value.
     */
    @Test
    void nInitSetsTheKMeansRestarts() throws IOException {
        Map<String, float[]> s = new LinkedHashMap<>();
        s.put("el2n", el2n);
        s.put("ppl", ppl);
        Map<Integer, DataPool.StepResult> byNInit = new java.util.HashMap<>();
        for (int nInit : new int[]{1, 4}) {
            StepConfig c = StepConfig.defaults(30, 3).withSeed(5);
            DataPool pool = DataPool.create(dir.resolve("pool" + nInit), c.withKMeans(c.kmeans().withNInit(nInit)));
            byNInit.put(nInit, pool.step("all", N, null, vectors, s, null));
        }
        assertTrue(byNInit.get(1).outcome().clustering().inertia() != byNInit.get(4).outcome().clustering().inertia(),
                "one start and four should differ on these vectors for the test to show anything");
        for (int nInit : new int[]{1, 4}) {
            CliRun r = select("out" + nInit, "--budget", "30", "--clusters", "3", "--seed", "5", "--n-init", "" + nInit);
            assertEquals(0, r.exitCode(), r.err());
            JsonNode report = JSON.readTree(dir.resolve("out" + nInit + "/report.json").toFile());
            assertEquals(nInit, report.get("modes").get("kmeans_n_init").asInt());
            assertEquals(byNInit.get(nInit).outcome().clustering().inertia(), report.get("clustering").get("inertia").asDouble(), 0);
            assertArrayEquals(Arrays.stream(byNInit.get(nInit).outcome().clustering().labels()).asLongStream().toArray(),
                    Npy.read(dir.resolve("out" + nInit + "/labels.npy")).toLongArray());
        }
        CliRun byDefault = select("outd", "--budget", "30", "--clusters", "3", "--seed", "5");
        assertEquals(0, byDefault.exitCode(), byDefault.err());
        assertEquals(dev.perennial.cluster.KMeans.DEFAULT_N_INIT,
                JSON.readTree(dir.resolve("outd/report.json").toFile()).get("modes").get("kmeans_n_init").asInt());
    }

    @Test
    void prunesAndChoosesK() throws IOException {
        CliRun r = select("out", "--budget", "20", "--choose-k", "2:6", "--kmeans", "full", "--prune-to", "60",
                "--kmeans-assign", "gemm");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("pruned the pool to 60"), r.out());
        JsonNode report = JSON.readTree(dir.resolve("out/report.json").toFile());
        assertEquals(4, report.get("clustering").get("k").asInt());                 // the four directions
        assertEquals(5, report.get("clustering").get("k_choice").size());
        assertEquals("LLOYD", report.get("modes").get("kmeans").asText());
        assertEquals("GEMM", report.get("modes").get("kmeans_assignment").asText());
        assertEquals(60, report.get("pruning").get("pool_after").asInt());
        assertEquals(60, ints(dir.resolve("out/kept_ids.json")).length);
        for (JsonNode c : report.get("clusters")) assertEquals(15, c.get("kept").asInt());
    }

    @Test
    void compatModeIsReported() throws IOException {
        CliRun r = select("out", "--budget", "20", "--clusters", "4", "--compat");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode modes = JSON.readTree(dir.resolve("out/report.json").toFile()).get("modes");
        assertTrue(modes.get("compat").asBoolean());
        assertEquals("CODE_COMPAT", modes.get("budget_split").asText());
        assertEquals("CODE_COMPAT", modes.get("entropy").asText());
        assertEquals("CODE_COMPAT", modes.get("sampling").asText());
    }

    /** `perennial score` writes vectors.npy next to the score files: --scores may be that folder. */
    @Test
    void theVectorsFileInTheScoresFolderIsNotAScorer() throws IOException {
        Files.copy(vectors, scores.resolve("vectors.npy"));
        vectors = scores.resolve("vectors.npy");
        CliRun r = select("out", "--budget", "8", "--clusters", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals("[\"el2n\",\"ppl\"]", JSON.readTree(dir.resolve("out/report.json").toFile()).get("scorers").toString());
    }

    // ------------------------------------------------------------------------------------------- bad input

    /** Exit code 1 and exactly one line on stderr, "perennial select: ..." mentioning {@code mention}. */
    private static void assertFails(CliRun r, String mention) {
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertEquals(1, r.errLines().size(), r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("perennial select: ") && line.contains(mention), line);
    }

    @Test
    void scoresOfAnotherLengthThanTheVectors() throws IOException {
        Npy.write(scores.resolve("ppl.npy"), Tensor.of(Arrays.copyOf(ppl, N - 1), N - 1));
        assertFails(select("out", "--budget", "10", "--clusters", "4"), "ppl.npy has 119 scores, " + vectors + " has 120 rows");
    }

    @Test
    void scoreFileOfTheWrongShapeOrDtype() throws IOException {
        Npy.write(scores.resolve("ppl.npy"), Tensor.of(new float[2 * N], N, 2));
        assertFails(select("out", "--budget", "10", "--clusters", "4"), "ppl.npy: expected scores as float32 [N], got F32 [120, 2]");
        Npy.write(scores.resolve("ppl.npy"), Tensor.ofLongs(new long[N], N));
        assertFails(select("out", "--budget", "10", "--clusters", "4"), "ppl.npy: expected scores as float32 [N], got I64 [120]");
    }

    /** NaN scores are counted in the report and never selected on that score (the only scorer here). */
    @Test
    void nanScoresAreCountedAndNotSelected() throws IOException {
        Files.delete(scores.resolve("ppl.npy"));
        for (int i = 0; i < N; i += 10) el2n[i] = Float.NaN;
        Npy.write(scores.resolve("el2n.npy"), Tensor.of(el2n, N));
        CliRun r = select("out", "--budget", "40", "--clusters", "4");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode report = JSON.readTree(dir.resolve("out/report.json").toFile());
        assertEquals(12, report.get("nan_scores").get("el2n").asInt());
        int[] selected = ints(dir.resolve("out/selected_ids.json"));
        assertTrue(selected.length > 0);
        for (int p : selected) assertFalse(Float.isNaN(el2n[p]), "selected NaN sample " + p);
    }

    /**
     * Vector rows with NaN or ±∞ (issue 20: they gave an infinite inertia and centroids near 3e38) are invalid samples:
     * excluded from clustering and selection, counted in report.json and on stdout, warned about in one log line.
     * Run in a child JVM so that the log is the real one.
     */
    @Test
    void nonFiniteVectorRowsAreInvalidSamples() throws Exception {
        float[] v = Npy.read(vectors).toFloatArray();
        List<Integer> invalid = List.of(5, 17, 60, 61, 119);
        v[5 * DIM] = Float.NaN;
        v[17 * DIM + 3] = Float.POSITIVE_INFINITY;
        v[60 * DIM + 1] = Float.NEGATIVE_INFINITY;
        Arrays.fill(v, 61 * DIM, 62 * DIM, Float.NaN);
        v[119 * DIM + DIM - 1] = Float.NaN;
        Npy.write(vectors, Tensor.of(v, N, DIM));
        CliRun r = CliRun.child(List.of(), Map.of(), PerennialCommand.class, "select", "--vectors", vectors.toString(),
                "--scores", scores.toString(), "--out", dir.resolve("out").toString(), "--budget", "30", "--clusters", "4",
                "--prune-to", "100", "--kmeans", "full");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("5 invalid (NaN/Inf vector), not clustered"), r.out());
        List<String> warnings = r.err().lines().filter(l -> l.contains("contain NaN or infinite values")).toList();
        assertEquals(1, warnings.size(), r.err());
        assertTrue(warnings.get(0).contains("5 of 120 vectors"), warnings.get(0));

        JsonNode report = JSON.readTree(dir.resolve("out/report.json").toFile());
        assertEquals(5, report.get("non_finite_vectors").asInt());
        assertEquals(120, report.get("pool_size").asInt());
        double inertia = report.get("clustering").get("inertia").asDouble();
        assertTrue(Double.isFinite(inertia) && inertia < 1e3, "inertia " + inertia);
        for (float c : Npy.read(dir.resolve("out/centroids.npy")).toFloatArray()) assertTrue(Math.abs(c) <= 1.5, "centroid element " + c);
        int sizes = 0;
        for (JsonNode c : report.get("clusters")) sizes += c.get("size").asInt();
        assertEquals(115, sizes);
        long[] labels = Npy.read(dir.resolve("out/labels.npy")).toLongArray();
        for (int i = 0; i < N; i++) assertEquals(invalid.contains(i), labels[i] == -1, "label of row " + i);
        for (int p : ints(dir.resolve("out/selected_ids.json"))) assertFalse(invalid.contains(p), "selected invalid sample " + p);
        int[] kept = ints(dir.resolve("out/kept_ids.json"));
        assertEquals(100, kept.length);
        for (int p : invalid) assertTrue(Arrays.binarySearch(kept, p) >= 0, "invalid sample " + p + " stays in the pool");
    }

    /** Three distinct vectors and K = 5: two clusters stay empty, reported with size, budget and selected 0 and no expert. */
    @Test
    void emptyClustersAreReported() throws IOException {
        float[] v = new float[N * DIM];
        for (int i = 0; i < N; i++) v[i * DIM + i % 3] = 1;
        Npy.write(vectors, Tensor.of(v, N, DIM));
        CliRun r = select("out", "--budget", "12", "--clusters", "5", "--kmeans", "full");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode report = JSON.readTree(dir.resolve("out/report.json").toFile());
        int empty = 0;
        for (JsonNode c : report.get("clusters")) {
            if (c.get("size").asInt() > 0) continue;
            empty++;
            assertEquals(0, c.get("budget").asInt());
            assertEquals(0, c.get("selected").asInt());
            assertTrue(c.get("expert").isNull());
        }
        assertEquals(2, empty);
        assertEquals(12, report.get("selected").asInt());
    }

    /** B > N: every cluster's budget is its size, and CCS takes every member inside the 5%–95% range. */
    @Test
    void aBudgetLargerThanThePool() throws IOException {
        CliRun r = select("out", "--budget", "1000", "--clusters", "4");
        assertEquals(0, r.exitCode(), r.err());
        JsonNode report = JSON.readTree(dir.resolve("out/report.json").toFile());
        assertEquals(1000, report.get("budget").asInt());
        int total = 0;
        for (JsonNode c : report.get("clusters")) {
            assertEquals(c.get("size").asInt(), c.get("budget").asInt());
            assertEquals(c.get("eligible").asInt(), c.get("selected").asInt());
            total += c.get("selected").asInt();
        }
        assertEquals(total, ints(dir.resolve("out/selected_ids.json")).length);
        assertTrue(total < N && total >= 100, "selected " + total);
    }

    @Test
    void kLargerThanN() {
        assertFails(select("out", "--budget", "10", "--clusters", "121"), "K = 121 exceeds the pool of 120 samples: K must not exceed N");
        assertFails(select("out", "--budget", "10", "--choose-k", "2:200"), "K range 2:200 exceeds the pool of 120 samples");
    }

    @Test
    void missingFiles() throws IOException {
        Path missing = dir.resolve("missing.npy");
        CliRun v = run("select", "--vectors", missing.toString(), "--scores", scores.toString(), "--budget", "5", "--clusters", "2",
                "--out", dir.resolve("o").toString());
        assertFails(v, missing + ": no such file or folder");
        CliRun s = run("select", "--vectors", vectors.toString(), "--scores", dir.resolve("nope").toString(), "--budget", "5",
                "--clusters", "2", "--out", dir.resolve("o").toString());
        assertFails(s, dir.resolve("nope") + ": no such file or folder");
        assertFails(select("out", "--budget", "5", "--clusters", "2", "--data", dir.resolve("none.json").toString()),
                dir.resolve("none.json") + ": no such file or folder");
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertFails(run("select", "--vectors", vectors.toString(), "--scores", empty.toString(), "--budget", "5", "--clusters", "2",
                "--out", dir.resolve("o").toString()), empty + ": no *.npy score files");
    }

    @Test
    void malformedNpy() throws IOException {
        Files.writeString(vectors, "this is not numpy");
        assertFails(select("out", "--budget", "5", "--clusters", "2"), vectors + ": bad magic");
        inputs();
        byte[] full = Files.readAllBytes(scores.resolve("ppl.npy"));
        Files.write(scores.resolve("ppl.npy"), Arrays.copyOf(full, full.length - 8));
        assertFails(select("out", "--budget", "5", "--clusters", "2"), "ppl.npy: truncated: shape [120] of <f4 needs 480 bytes of data, the file has 472");
    }

    @Test
    void dataWithAnotherRecordCount() {
        assertFails(select("out", "--budget", "5", "--clusters", "2", "--data", dataA.toString()),
                "--data has 70 records, " + vectors + " has 120 rows: they must describe the same samples");
        assertFails(select("out", "--budget", "5", "--clusters", "2", "--data", dataA + "," + dataA),
                "have the same name 'a.json'");
    }

    @Test
    void badOptionValues() {
        assertFails(select("out", "--budget", "-1", "--clusters", "2"), "budget must be >= 0, got -1");
        assertFails(select("out", "--budget", "5", "--choose-k", "3-5"), "--choose-k expects MIN:MAX (two integers), got '3-5'");
        assertFails(select("out", "--budget", "5", "--choose-k", "1:5"), "need 2 <= min <= max");
        assertFails(select("out", "--budget", "5", "--clusters", "2", "--prune-to", "0"), "pool cap must be >= 1, got 0");
        assertFails(select("out", "--budget", "5", "--clusters", "2", "--n-init", "0"), "--n-init must be at least 1, got 0");
        assertEquals(2, select("out", "--budget", "5", "--clusters", "2", "--choose-k", "2:4").exitCode());   // usage error
    }
}
