/*
 * The command line of perennial-spark: `adapt-step`, one ADAPT-∞ step as a Spark job (AdaptStep). Runs as
 * `java -jar spark/target/perennial-spark.jar adapt-step --master local[N] ...` (the jar bundles Spark; its manifest
 * opens the JDK packages Spark needs) or, with the thin jar, `spark-submit --class dev.perennial.spark.PerennialSpark
 * perennial-spark-VERSION.jar adapt-step ...` on a cluster, where --master is left to spark-submit. The options are
 * `perennial score`'s and `perennial select`'s of the same names. Errors are one line on stderr, exit code 1
 * (--verbose: with the stack trace); usage errors exit 2.
 */
package dev.perennial.spark;

import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "perennial-spark", mixinStandardHelpOptions = true, subcommands = {PerennialSpark.AdaptStepCommand.class},
        description = "Perennial's ADAPT-∞ data selection as Apache Spark jobs.")
public final class PerennialSpark implements Runnable {
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print the stack trace of an error.")
    boolean verbose;

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        // what spark-submit passes as -D (java -jar has no such manifest entry); before Netty's classes load
        System.setProperty("io.netty.tryReflectionSetAccessible", "true");
        System.exit(execute(args));
    }

    /** Runs the command line; returns the exit code. */
    static int execute(String... args) {
        CommandLine cli = new CommandLine(new PerennialSpark());
        cli.setExecutionExceptionHandler((e, line, parsed) -> {
            boolean verbose = List.of(args).contains("--verbose");
            if (verbose) e.printStackTrace(line.getErr());
            else line.getErr().println("perennial-spark: " + oneLine(e));
            return 1;
        });
        return cli.execute(args);
    }

    private static String oneLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && (root.getMessage() == null || root instanceof java.lang.reflect.InvocationTargetException
                || root instanceof org.apache.spark.SparkException)) root = root.getCause();
        String m = root instanceof java.nio.file.NoSuchFileException ? "no such file: " + root.getMessage() : root.getMessage();
        return (m == null ? root.getClass().getSimpleName() : m).lines().findFirst().orElse("");
    }

    @Command(name = "adapt-step", mixinStandardHelpOptions = true,
            description = "One ADAPT-∞ step on Spark: score the pool on the executors (pool.parquet and score's files), MLlib k-means, "
                    + "per-cluster expert selection, CCS and pruning (select's files).")
    static final class AdaptStepCommand implements Callable<Integer> {
        @Option(names = "--master", description = "Spark master, e.g. local[2] or spark://host:7077 (default: spark-submit's, else local[*]).")
        String master;

        @Option(names = "--model", required = true, description = "Checkpoint folder, at the same path on every executor.")
        Path model;

        @Option(names = "--data", required = true, split = ",", description = "LLaVA-JSON files (comma-separated), every executor reads them.")
        List<Path> data;

        @Option(names = "--images", description = "Folder the samples' image paths are relative to (every executor reads it).")
        Path images;

        @Option(names = "--budget", required = true, description = "B, samples to select.")
        int budget;

        @Option(names = "--clusters", required = true, description = "K, the number of pseudo-task clusters.")
        int clusters;

        @Option(names = "--seed", defaultValue = "0", description = "Seed of the projection, fresh adapters, k-means and sampling (default 0).")
        long seed;

        @Option(names = "--prune-to", description = "P_max: permanently prune the pool to this size after selection.")
        Integer pruneTo;

        @Option(names = "--out", required = true, description = "Output folder.")
        Path out;

        @Option(names = "--scorers", split = ",", defaultValue = "ppl,el2n,entropy,grand,ig", description = "Scorers (default: ${DEFAULT-VALUE}).")
        List<String> scorers;

        @Option(names = "--dim", defaultValue = "8192", description = "Projection dimension k (default ${DEFAULT-VALUE}).")
        int dim;

        @Option(names = "--layers", split = ",", description = "Decoder layers whose LoRA gradients form the vector (default: the last).")
        List<Integer> layers;

        @Option(names = "--lora-rank", defaultValue = "8", description = "Rank of fresh adapters when the model has none (default ${DEFAULT-VALUE}).")
        int rank;

        @Option(names = "--compat", description = "The official code's ppl and IG, selection and pruning modes.")
        boolean compat;

        @Option(names = "--tokenizer", description = "tokenizer.json / tokenizer.model (default: from the model folder).")
        Path tokenizer;

        @Option(names = "--template", defaultValue = "vicuna_v1", description = "Conversation template (default ${DEFAULT-VALUE}).")
        String template;

        @Option(names = "--max-length", defaultValue = "2048", description = "Token limit per sample (default ${DEFAULT-VALUE}).")
        int maxLength;

        @Option(names = "--projection-group", defaultValue = "0",
                description = "Consecutive samples projected together, as score's option (default: score's automatic choice).")
        int group;

        @Option(names = "--groups-per-partition", defaultValue = "0",
                description = "Projection groups per Spark task (default: two tasks per core).")
        int groupsPerPartition;

        @Option(names = "--max-iter", defaultValue = "" + MllibClustering.DEFAULT_MAX_ITER, description = "MLlib k-means iterations at most (default ${DEFAULT-VALUE}).")
        int maxIter;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            ScoreSettings scoring = new ScoreSettings(model.toAbsolutePath().toString(), tokenizer == null ? null : tokenizer.toAbsolutePath().toString(),
                    images == null ? null : images.toAbsolutePath().toString(), scorers, dim, seed, layers, rank, compat, maxLength, template, group);
            SelectSettings selection = new SelectSettings(budget, clusters, seed, pruneTo, compat);
            SparkSession.Builder builder = SparkSession.builder().appName("perennial adapt-step");
            if (master != null) builder.master(master);
            else if (!new org.apache.spark.SparkConf().contains("spark.master")) builder.master("local[*]");
            SparkSession spark = builder.getOrCreate();
            try {
                AdaptStep.Result r = AdaptStep.run(spark, data, scoring, selection, groupsPerPartition, maxIter, out);
                Map<String, Integer> experts = new TreeMap<>();
                for (var c : r.report().clusters()) if (c.expert() != null) experts.merge(c.expert(), 1, Integer::sum);
                var o = spec.commandLine().getOut();
                o.printf(Locale.ROOT, "scored %d samples in %d tasks in %.1f s (%.2f samples/s); k-means (MLlib) %.1f s; selected %d (budget %d) "
                                + "in K = %d clusters in %.1f s; experts %s%s%n", r.scoring().rows(), r.scoring().partitions(), r.scoring().seconds(),
                        r.scoring().rows() / Math.max(r.scoring().seconds(), 1e-9), r.clusterSeconds(), r.report().selected(), budget, clusters,
                        r.selectSeconds(), experts, r.report().pruned() ? "; pruned the pool to " + r.report().poolAfter() : "");
                o.printf("wrote %s%n", out);
                o.flush();
            } finally {
                if (master != null) spark.stop();
            }
            return 0;
        }
    }
}
