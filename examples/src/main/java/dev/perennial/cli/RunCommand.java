/*
 * `perennial run --config FILE`: a lifelong run on any task sequence (CoIN layout, the built-in benchmark, or a list
 * of LLaVA-JSON tasks) with a real checkpoint, as the run file describes (dev.perennial.lifelong.RunPlan). Every
 * strategy runs or resumes after its last finished step; the accuracy matrices and the comparison table are
 * printed, and metrics.json, accuracy_matrix.csv, report.md and plots/ are written to the run's output folder.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.eval.AccuracyMatrix;
import dev.perennial.io.Fingerprint;
import dev.perennial.io.OutputFolder;
import dev.perennial.lifelong.RunPlan;
import dev.perennial.lifelong.RunReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true, description = "Run a lifelong (continual) instruction-tuning experiment from a run file.")
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--config", required = true, description = "Run file (JSON; see docs/architecture.md, \"Lifelong runs\").")
    Path config;

    @Mixin
    BackendOption backend;

    @Mixin
    OutputGuard guard;

    @Override
    public Integer call() throws Exception {
        RunPlan plan = RunPlan.read(config);
        try (OutputFolder folder = OutputFolder.lock(plan.out(), "run")) {
            // every key of the run file, flattened, so a changed setting is named; a finished run is shown again
            folder.start(Fingerprint.builder().putTree("", new ObjectMapper().readValue(config.toFile(), Object.class)).build(), true, guard.overwrite);
            print(spec.commandLine().getOut(), spec.commandLine().getErr(), plan, backend);
            folder.finish();
        }
        return 0;
    }

    /** Runs the plan with a progress line per step on stderr, then prints the matrices and the table. */
    static List<RunReport.Line> print(PrintWriter out, PrintWriter err, RunPlan plan, BackendOption backend) throws Exception {
        List<RunReport.Line> lines = plan.run(backend.backend(), (strategy, step, task, acc, seconds) -> {
            err.printf(Locale.ROOT, "%s: step %d/%d (%s) %.0f s, accuracy on it %.1f%%%n", strategy, step + 1, plan.tasks().size(), task.name(),
                    seconds, 100 * acc[step]);
            err.flush();
        });
        for (String s : plan.strategyNames()) {
            out.println("## " + s);
            out.println(RunReport.matrix(AccuracyMatrix.readCsv(plan.out().resolve("strategies").resolve(s).resolve("accuracy_matrix.csv"))));
        }
        out.println(RunReport.table(lines));
        out.println("report: " + plan.out().resolve("report.md"));
        out.flush();
        return lines;
    }
}
