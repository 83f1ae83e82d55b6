/*
 * The outputs of a lifelong run over several strategies, all written atomically into the run folder:
 *
 *   metrics.json          {"tasks": [...], "zero_shot": {task: accuracy}, "strategies": {NAME: {"final_avg_acc", "bwt",
 *                         "forgetting", "fwt", "mft", "maa", ["relative_gain",] "train_samples", "seconds"}}} —
 *                         accuracies, BWT, forgetting and FWT as fractions, relative gain in percent, null where a
 *                         metric is undefined (one task: no BWT; FWT without evaluate_future); "relative_gain" only
 *                         when a "multitask" strategy ran in the run (the reference), and "zero_shot" when the
 *                         matrices carry the zero-shot row
 *   accuracy_matrix.csv   every strategy's matrix: "strategy,after,<task 1>,...", per strategy first the zero-shot
 *                         line "<strategy>,zero-shot,..." (the base model before any training), then one line per step
 *   report.md             the comparison table and each strategy's accuracy matrix (zero-shot row first)
 *   plots/<strategy>.png  accuracy of each task after each step (XChart line chart)
 *   plots/final.png       final average accuracy per strategy (XChart bar chart)
 *
 * FWT is GEM's forward transfer against the zero-shot row, and ADAPT-∞'s relative gain is the mean over tasks of the
 * final accuracy over the multitask strategy's (ContinualMetrics; docs/methods/adapt-inf.md §8.2). A task on which the
 * multitask strategy scored 0 has no ratio: it is left out of every strategy's relative gain, and report.md names it.
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

    /** The strategy whose final row is the reference of the relative gain. */
    static final String REFERENCE = MultiTaskTraining.TYPE.name();

    /**
     * One strategy's line of the comparison: fractions, except {@code relativeGain} (percent; NaN without a multitask
     * reference in the run, or when the reference scored 0 on every task).
     */
    public record Line(String strategy, double finalAverage, double bwt, double forgetting, double fwt, double mft, double maa,
                       double relativeGain, int trainSamples, double seconds) {
        /** @param reference the multitask strategy's matrix, or null */
        static Line of(LifelongRun.Result r, AccuracyMatrix reference) {
            AccuracyMatrix m = r.matrix();
            return new Line(r.strategy(), ContinualMetrics.finalAverage(m), ContinualMetrics.bwt(m), ContinualMetrics.forgetting(m),
                    ContinualMetrics.forwardTransfer(m), ContinualMetrics.mft(m), ContinualMetrics.maa(m),
                    reference == null ? Double.NaN : ContinualMetrics.relativeGain(m, reference), r.trainingSamples(), r.seconds());
        }
    }

    /** Writes every output into {@code out}; returns the comparison lines. */
    public static List<Line> write(Path out, List<LifelongRun.Result> results) throws IOException {
        if (results.isEmpty()) throw new IllegalArgumentException("no strategy ran");
        List<String> tasks = results.get(0).matrix().tasks();
        AccuracyMatrix reference = results.stream().filter(r -> r.strategy().equals(REFERENCE)).map(LifelongRun.Result::matrix)
                .findFirst().orElse(null);
        List<Line> lines = results.stream().map(r -> Line.of(r, reference)).toList();
        ObjectNode root = JSON.createObjectNode();
        tasks.forEach(root.putArray("tasks")::add);
        double[] zero = results.get(0).matrix().zeroShot();
        if (zero != null) {
            ObjectNode z = root.putObject("zero_shot");
            for (int i = 0; i < tasks.size(); i++) z.put(tasks.get(i), zero[i]);
        }
        ObjectNode s = root.putObject("strategies");
        for (Line l : lines) {
            ObjectNode o = s.putObject(l.strategy());
            number(o, "final_avg_acc", l.finalAverage());
            number(o, "bwt", l.bwt());
            number(o, "forgetting", l.forgetting());
            number(o, "fwt", l.fwt());
            number(o, "mft", l.mft());
            number(o, "maa", l.maa());
            if (reference != null) number(o, "relative_gain", l.relativeGain());
            o.put("train_samples", l.trainSamples());
            o.put("seconds", l.seconds());
        }
        AtomicFiles.write(out.resolve("metrics.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));

        StringBuilder csv = new StringBuilder("strategy,after,").append(String.join(",", tasks)).append('\n');
        for (LifelongRun.Result r : results) {
            double[] z = r.matrix().zeroShot();
            if (z != null) AccuracyMatrix.line(csv.append(r.strategy()).append(','), AccuracyMatrix.ZERO_SHOT, z);
            for (int j = 0; j < r.matrix().steps(); j++) AccuracyMatrix.line(csv.append(r.strategy()).append(','), tasks.get(j), r.matrix().row(j));
        }
        AtomicFiles.write(out.resolve("accuracy_matrix.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(out.resolve("report.md"), markdown(results, lines, reference).getBytes(StandardCharsets.UTF_8));
        Path plots = Files.createDirectories(out.resolve("plots"));
        for (LifelongRun.Result r : results) AtomicFiles.write(plots.resolve(r.strategy() + ".png"), taskCurves(r));
        AtomicFiles.write(plots.resolve("final.png"), finalBars(lines));
        return lines;
    }

    /**
     * The comparison table (also printed by the CLI): accuracies in percent, BWT and FWT in signed points, relative gain
     * in percent ("-" where undefined); the seconds stay the last column.
     */
    public static String table(List<Line> lines) {
        StringBuilder sb = new StringBuilder("| strategy | final avg acc | BWT | forgetting | FWT | MFT | MAA | relative gain | training samples | seconds |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Line l : lines) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %d | %.0f |%n", l.strategy(), pct(l.finalAverage()),
                    signed(l.bwt()), pct(l.forgetting()), signed(l.fwt()), pct(l.mft()), pct(l.maa()),
                    Double.isNaN(l.relativeGain()) ? "-" : String.format(Locale.ROOT, "%.1f", l.relativeGain()), l.trainSamples(), l.seconds()));
        }
        return sb.toString();
    }

    /** A matrix as a markdown table (percent; "-" where not evaluated), the zero-shot row first when there is one. */
    public static String matrix(AccuracyMatrix m) {
        StringBuilder sb = new StringBuilder("| after \\ on | ").append(String.join(" | ", m.tasks())).append(" |\n|---");
        sb.append("|---".repeat(m.tasks().size())).append("|\n");
        if (m.zeroShot() != null) matrixRow(sb, AccuracyMatrix.ZERO_SHOT, m.zeroShot());
        for (int j = 0; j < m.steps(); j++) matrixRow(sb, m.tasks().get(j), m.row(j));
        return sb.toString();
    }

    private static void matrixRow(StringBuilder sb, String label, double[] row) {
        sb.append("| ").append(label);
        for (double a : row) sb.append(" | ").append(Double.isNaN(a) ? "-" : String.format(Locale.ROOT, "%.1f", 100 * a));
        sb.append(" |\n");
    }

    private static String markdown(List<LifelongRun.Result> results, List<Line> lines, AccuracyMatrix reference) {
        StringBuilder sb = new StringBuilder("# Lifelong run\n\n");
        sb.append("Accuracies in percent on each task's held-out test split; BWT in points (negative = forgetting), over T - 1 tasks. ");
        sb.append("FWT in points: GEM's forward transfer, the accuracy on each task just before it is trained minus the base model's ");
        sb.append("(the zero-shot row), over tasks 2..T; it needs evaluate_future. Relative gain (ADAPT-∞): the mean over tasks of the ");
        sb.append("final accuracy over the multitask strategy's, in percent");
        if (reference == null) {
            sb.append("; this run has no multitask strategy, so there is none.\n\n");
        } else {
            List<String> left = new ArrayList<>(reference.tasks());
            int[] used = ContinualMetrics.relativeGainTasks(reference, reference);
            for (int u = used.length - 1; u >= 0; u--) left.remove(used[u]);
            sb.append(left.isEmpty() ? ".\n\n" : "; left out: " + String.join(", ", left) + " (multitask scored 0 there, so there is no ratio).\n\n");
        }
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
