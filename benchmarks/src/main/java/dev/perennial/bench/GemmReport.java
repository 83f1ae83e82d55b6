/*
 * Runs GemmBenchmark and prints one Markdown table: GFLOP/s of every implementation per shape and its ratio
 * to OpenBLAS called directly in the same run (the table in docs/performance.md comes from here).
 * Extra arguments are passed to JMH's option parser (e.g. -p shape=square1024 -wi 1 -i 3).
 */
package dev.perennial.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

public final class GemmReport {
    private GemmReport() {}

    public static void main(String[] args) throws Exception {
        Options opts = new OptionsBuilder()
                .parent(new CommandLineOptions(args))
                .include(GemmBenchmark.class.getName())
                .build();
        Collection<RunResult> results = new Runner(opts).run();
        Map<String, Map<String, double[]>> table = new TreeMap<>();   // shape -> impl -> {score, error}
        for (RunResult r : results) {
            var params = r.getParams();
            var flops = r.getSecondaryResults().get("gflop");
            table.computeIfAbsent(params.getParam("shape"), s -> new TreeMap<>())
                    .put(params.getParam("impl"), new double[]{flops.getScore(), flops.getScoreError()});
        }
        String[] impls = {"backend", "openblas", "nd4j", "java"};
        System.out.println();
        System.out.println("| shape (M x N x K) | backend GFLOP/s | OpenBLAS direct | ND4J choice | plain Java | backend / OpenBLAS |");
        System.out.println("|---|---|---|---|---|---|");
        for (var e : table.entrySet()) {
            StringBuilder row = new StringBuilder("| " + e.getKey() + " |");
            for (String impl : impls) {
                double[] v = e.getValue().get(impl);
                row.append(v == null ? " - |" : String.format(" %.1f ± %.1f |", v[0], v[1]));
            }
            double[] be = e.getValue().get("backend"), ob = e.getValue().get("openblas");
            row.append(be == null || ob == null ? " - |" : String.format(" %.1f%% |", 100 * be[0] / ob[0]));
            System.out.println(row);
        }
    }
}
