/*
 * Runs KMeansBenchmark and ProjectionBenchmark and prints the Markdown tables of docs/performance.md
 * ("ADAPT-∞ selection kernels on the CPU"): seconds per op (JMH AverageTime, ± its 99.9% interval), GFLOP/s from
 * the flop counts the benchmarks document, points/s or samples/s, and each fast path's ratio to its plain
 * reference in the same run; whole k-means fits by nInit with their ratio to nInit = 1. Extra arguments go to JMH's option parser (e.g. -wi 1 -i 3 -f 1, -p n=20000 for a
 * smaller pool, or a benchmark regex such as ProjectionBenchmark to run only those).
 */
package dev.perennial.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class SelectionReport {
    private SelectionReport() {}

    /** One benchmark's seconds per op, its error, and its parameters. */
    private record Row(double seconds, double error, Map<String, String> params) {
        long param(String name) { return Long.parseLong(params.get(name)); }
    }

    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args);
        OptionsBuilder builder = new OptionsBuilder();
        builder.parent(cli);
        if (cli.getIncludes().isEmpty()) builder.include(KMeansBenchmark.class.getName()).include(ProjectionBenchmark.class.getName());
        Options opts = builder.build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Row> rows = new HashMap<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            String method = label.substring(label.lastIndexOf('.') + 1);
            Map<String, String> params = new HashMap<>();
            for (String key : r.getParams().getParamsKeys()) params.put(key, r.getParams().getParam(key));
            if (params.containsKey("nInit")) method += ":" + params.get("nInit");            // fit:1, fit:10, ...
            rows.put(method, new Row(r.getPrimaryResult().getScore(), r.getPrimaryResult().getScoreError(), params));
        }
        System.out.println();
        kMeansTable(rows);
        fitTable(rows);
        System.out.println();
        projectionTable(rows);
    }

    private static void kMeansTable(Map<String, Row> rows) {
        Row any = rows.getOrDefault("assignFast", rows.get("lloydGemm"));
        if (any == null) return;
        long n = any.param("n"), d = any.param("d"), k = any.param("k");
        double assignFlop = 2.0 * n * k * d, lloydFlop = assignFlop + (double) n * d;
        System.out.printf(Locale.ROOT, "k-means, N = %d, d = %d, K = %d%n%n", n, d, k);
        System.out.println("| operation | implementation | s/op | GFLOP/s | points/s | fast / reference |");
        System.out.println("|---|---|---|---|---|---|");
        line(rows, "assignment", "assignFast", "KMeansAssignment.assign (sgemm)", assignFlop, n, "assignReference");
        line(rows, "assignment", "assignReference", "KMeansAssignment.reference (double, 1 thread)", assignFlop, n, null);
        line(rows, "one Lloyd iteration", "lloydGemm", "KMeans.lloydIteration, GEMM assignment", lloydFlop, n, "lloydExact");
        line(rows, "one Lloyd iteration", "lloydExact", "KMeans.lloydIteration, EXACT assignment (double, 2 threads)", lloydFlop, n, null);
    }

    /** Whole fits (and fits cut to one epoch) by nInit: seconds per fit and the ratio to nInit = 1 of the same run. */
    private static void fitTable(Map<String, Row> rows) {
        List<String> keys = rows.keySet().stream().filter(m -> m.startsWith("fit")).sorted(java.util.Comparator
                .comparing((String m) -> m.substring(0, m.indexOf(':'))).thenComparingInt(m -> Integer.parseInt(m.substring(m.indexOf(':') + 1))))
                .toList();
        if (keys.isEmpty()) return;
        Row any = rows.get(keys.get(0));
        System.out.printf(Locale.ROOT, "%nwhole k-means fits (Config.of(K): MINI_BATCH, EXACT), N = %s, d = %s, K = %s%n%n", any.params().get("n"),
                any.params().get("d"), any.params().get("k"));
        System.out.println("| benchmark | nInit | s/fit | / nInit = 1 |");
        System.out.println("|---|---|---|---|");
        for (String key : keys) {
            String method = key.substring(0, key.indexOf(':')), nInit = key.substring(key.indexOf(':') + 1);
            Row r = rows.get(key), single = rows.get(method + ":1");
            System.out.printf(Locale.ROOT, "| %s | %s | %.2f ± %.2f | %s |%n", method, nInit, r.seconds(), r.error(),
                    single == null ? "-" : String.format(Locale.ROOT, "%.2f×", r.seconds() / single.seconds()));
        }
    }

    private static void projectionTable(Map<String, Row> rows) {
        Row any = rows.getOrDefault("fast", rows.get("fastSlice"));
        if (any == null) return;
        long samples = any.param("samples"), k = any.param("k");
        System.out.printf(Locale.ROOT, "Rademacher projection, batch of %d gradients, k = %d%n%n", samples, k);
        System.out.println("| implementation | d | s/op | GFLOP/s | samples/s | fast / reference (same d) |");
        System.out.println("|---|---|---|---|---|---|");
        for (String[] b : new String[][]{{"fast", "RandomProjection.project", "dim", null},
                {"fastSlice", "RandomProjection.project", "sliceDim", "referenceSlice"},
                {"referenceSlice", "RandomProjection.reference (double, 1 thread)", "sliceDim", null}}) {
            Row r = rows.get(b[0]);
            if (r == null) continue;
            long dim = r.param(b[2]);
            double flop = 2.0 * samples * dim * k, rate = samples / r.seconds();
            String ratio = "-";
            Row ref = b[3] == null ? null : rows.get(b[3]);
            if (ref != null) {
                double refGflops = 2.0 * samples * ref.param("sliceDim") * k / ref.seconds();
                ratio = String.format(Locale.ROOT, "%.0f×", flop / r.seconds() / refGflops);
            }
            System.out.printf(Locale.ROOT, "| %s | %d | %.3f ± %.3f | %.3g | %.3g | %s |%n", b[1], dim, r.seconds(), r.error(),
                    flop / r.seconds() / 1e9, rate, ratio);
        }
    }

    private static void line(Map<String, Row> rows, String op, String method, String what, double flop, long points, String reference) {
        Row r = rows.get(method);
        if (r == null) return;
        Row ref = reference == null ? null : rows.get(reference);
        String ratio = ref == null ? "-" : String.format(Locale.ROOT, "%.1f×", ref.seconds() / r.seconds());
        System.out.printf(Locale.ROOT, "| %s | %s | %.3f ± %.3f | %.3g | %.3g | %s |%n", op, what, r.seconds(), r.error(),
                flop / r.seconds() / 1e9, points / r.seconds(), ratio);
    }
}
