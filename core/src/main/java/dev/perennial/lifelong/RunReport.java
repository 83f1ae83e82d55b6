/*
 * The outputs of a lifelong run over several strategies, all written atomically into the run folder:
 *
 *   metrics.json          {"tasks": [...], "strategies": {NAME: {"final_avg_acc", "bwt", "forgetting", "mft", "maa",
 *                         "train_samples", "seconds"}}} — accuracies as fractions, BWT over T-1 tasks, null where a
 *                         metric is undefined (one task: no BWT)
 *   accuracy_matrix.csv   every strategy's matrix: "strategy,after,<task 1>,...", one line per (strategy, step)
 *   report.md             the comparison table and each strategy's accuracy matrix
 *   plots/<strategy>.png  accuracy of each task after each step (XChart line chart)
 *   plots/final.png       final average accuracy per strategy (XChart bar chart)
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.eval.AccuracyMatrix;
import dev.perennial.eval.ContinualMetrics;
import dev.perennial.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes the outputs of a lifelong run over several strategies into the run folder, atomically: {@code metrics.json}
 * (accuracies as fractions, times in seconds, null for an undefined metric), the accuracy matrices as CSV,
 * {@code report.md} and PNG plots; {@code table} and {@code matrix} give its markdown tables, in percent.
 * <p>Stateless; its static methods are safe to call from several threads (its static Jackson {@code ObjectMapper} is
 * never reconfigured and each chart is built per call). Its {@code Line} records are immutable.
 */
public final class RunReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunReport() {}

    /** One strategy's line of the comparison. */
    public record Line(String strategy, double finalAverage, double bwt, double forgetting, double mft, double maa, int trainSamples, double seconds) {
        static Line of(LifelongRun.Result r) {
            AccuracyMatrix m = r.matrix();
            return new Line(r.strategy(), ContinualMetrics.finalAverage(m), ContinualMetrics.bwt(m), ContinualMetrics.forgetting(m),
                    ContinualMetrics.mft(m), ContinualMetrics.maa(m), r.trainingSamples(), r.seconds());
        }
    }

    /** Writes every output into {@code out}; returns the comparison lines. */
    public static List<Line> write(Path out, List<LifelongRun.Result> results) throws IOException {
        if (results.isEmpty()) throw new IllegalArgumentException("no strategy ran");
        List<String> tasks = results.get(0).matrix().tasks();
        List<Line> lines = results.stream().map(Line::of).toList();
        ObjectNode root = JSON.createObjectNode();
        tasks.forEach(root.putArray("tasks")::add);
        ObjectNode s = root.putObject("strategies");
        for (Line l : lines) {
            ObjectNode o = s.putObject(l.strategy());
            number(o, "final_avg_acc", l.finalAverage());
            number(o, "bwt", l.bwt());
            number(o, "forgetting", l.forgetting());
            number(o, "mft", l.mft());
            number(o, "maa", l.maa());
            o.put("train_samples", l.trainSamples());
            o.put("seconds", l.seconds());
        }
        AtomicFiles.write(out.resolve("metrics.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));

        StringBuilder csv = new StringBuilder("strategy,after,").append(String.join(",", tasks)).append('\n');
        for (LifelongRun.Result r : results) {
            for (int j = 0; j < r.matrix().steps(); j++) {
                csv.append(r.strategy()).append(',').append(tasks.get(j));
                for (double a : r.matrix().row(j)) csv.append(',').append(Double.isNaN(a) ? "" : String.format(Locale.ROOT, "%.6f", a));
                csv.append('\n');
            }
        }
        AtomicFiles.write(out.resolve("accuracy_matrix.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(out.resolve("report.md"), markdown(results, lines).getBytes(StandardCharsets.UTF_8));
        Path plots = Files.createDirectories(out.resolve("plots"));
        for (LifelongRun.Result r : results) AtomicFiles.write(plots.resolve(r.strategy() + ".png"), taskCurves(r));
        AtomicFiles.write(plots.resolve("final.png"), finalBars(lines));
        return lines;
    }

    /** The comparison table (also printed by the CLI). */
    public static String table(List<Line> lines) {
        StringBuilder sb = new StringBuilder("| strategy | final avg acc | BWT | forgetting | MFT | MAA | training samples | seconds |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (Line l : lines) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %d | %.0f |%n", l.strategy(), pct(l.finalAverage()), signed(l.bwt()),
                    pct(l.forgetting()), pct(l.mft()), pct(l.maa()), l.trainSamples(), l.seconds()));
        }
        return sb.toString();
    }

    /** A matrix as a markdown table (percent; "-" where not evaluated). */
    public static String matrix(AccuracyMatrix m) {
        StringBuilder sb = new StringBuilder("| after \\ on | ").append(String.join(" | ", m.tasks())).append(" |\n|---");
        sb.append("|---".repeat(m.tasks().size())).append("|\n");
        for (int j = 0; j < m.steps(); j++) {
            sb.append("| ").append(m.tasks().get(j));
            for (double a : m.row(j)) sb.append(" | ").append(Double.isNaN(a) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * a));
            sb.append(" |\n");
        }
        return sb.toString();
    }

    private static String markdown(List<LifelongRun.Result> results, List<Line> lines) {
        StringBuilder sb = new StringBuilder("# Lifelong run\n\n");
        sb.append("Accuracies in percent on each task's held-out test split; BWT in points (negative = forgetting), over T - 1 tasks.\n\n");
        sb.append(table(lines)).append('\n');
        for (LifelongRun.Result r : results) {
            sb.append("## ").append(r.strategy()).append("\n\n").append(matrix(r.matrix())).append('\n');
            sb.append("![").append(r.strategy()).append("](plots/").append(r.strategy()).append(".png)\n\n");
        }
        sb.append("![final average accuracy](plots/final.png)\n");
        return sb.toString();
    }

    private static byte[] taskCurves(LifelongRun.Result r) throws IOException {
        AccuracyMatrix m = r.matrix();
        XYChart chart = new XYChartBuilder().width(800).height(450).title(r.strategy() + ": accuracy after each step")
                .xAxisTitle("after training task (step)").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        for (int i = 0; i < m.tasks().size(); i++) {
            List<Double> x = new ArrayList<>(), y = new ArrayList<>();
            for (int j = 0; j < m.steps(); j++) {
                if (Double.isNaN(m.get(j, i))) continue;
                x.add((double) j);
                y.add(100 * m.get(j, i));
            }
            if (!x.isEmpty()) chart.addSeries(m.tasks().get(i), x, y);
        }
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static byte[] finalBars(List<Line> lines) throws IOException {
        CategoryChart chart = new CategoryChartBuilder().width(800).height(450).title("final average accuracy")
                .xAxisTitle("strategy").yAxisTitle("accuracy (%)").build();
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        chart.addSeries("final average", lines.stream().map(Line::strategy).toList(), lines.stream().map(l -> 100 * l.finalAverage()).toList());
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static String pct(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * v); }

    private static String signed(double v) { return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%+.1f", 100 * v); }

    private static void number(ObjectNode o, String k, double v) {
        if (Double.isNaN(v)) o.putNull(k);
        else o.put(k, v);
    }
}
