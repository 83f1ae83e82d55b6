/*
 * The picture of a StepReport (report.png: results people would rather look at are also
 * written as plots): one bar group per cluster, overlapped, so each cluster shows its size (light grey), the
 * members kept by permanent pruning (darker grey, only when the step pruned) and the selected members in the
 * colour of the cluster's chosen expert (docs/methods/adapt-inf.md §6.4: different clusters may pick different experts). An
 * expert keeps its colour across steps: colours follow the scorers' order. Clusters without an expert
 * (random strategies) use a neutral colour.
 *
 * Rendered with XChart into a BufferedImage and encoded as PNG, then written atomically. This needs no display:
 * without DISPLAY the JDK runs AWT headless by itself; -Djava.awt.headless=true forces it where a display exists.
 */
package dev.perennial.select;

import dev.perennial.io.AtomicFiles;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;

import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Draws a step's report as an 800 by 450 pixel PNG bar chart: per cluster its size, the members kept by pruning, and
 * the selected members in the colour of the cluster's expert (colours follow the scorers' order); {@code write} writes
 * it atomically.
 * <p>Stateless; its static methods are safe to call from several threads (its static colours are immutable and only
 * read, and each chart is built per call).
 */
public final class StepChart {
    static final int WIDTH = 800, HEIGHT = 450;
    private static final Color SIZE = new Color(215, 215, 215), KEPT = new Color(150, 150, 150), NO_EXPERT = new Color(90, 90, 90);
    private static final Color[] EXPERTS = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
            new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(23, 190, 207)};

    private StepChart() {}

    /** The chart of {@code report} as PNG bytes. */
    public static byte[] png(StepReport report) throws IOException {
        List<StepReport.Cluster> clusters = report.clusters();
        List<String> ids = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>(), kept = new ArrayList<>();
        for (StepReport.Cluster c : clusters) {
            ids.add(Integer.toString(c.id()));
            sizes.add(c.size());
            kept.add(c.kept());
        }
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
                .title(String.format("step %d: %d samples, K = %d, budget %d, %d selected", report.step(), report.poolSize(),
                        clusters.size(), report.budget(), report.selected()))
                .xAxisTitle("cluster").yAxisTitle("samples").build();
        chart.getStyler().setOverlapped(true).setLegendPosition(Styler.LegendPosition.OutsideE).setChartTitleBoxVisible(false);
        chart.getStyler().setXAxisLabelRotation(clusters.size() > 20 ? 90 : 0);
        chart.addSeries("cluster size", ids, sizes).setFillColor(SIZE);
        if (report.pruned()) chart.addSeries("kept after pruning", ids, kept).setFillColor(KEPT);
        for (int e = 0; e < report.scorers().size(); e++) {
            String expert = report.scorers().get(e);
            List<Integer> selected = selectedBy(clusters, expert);
            if (selected.stream().anyMatch(v -> v > 0) || clusters.stream().anyMatch(c -> expert.equals(c.expert()))) {
                chart.addSeries("selected: " + expert, ids, selected).setFillColor(EXPERTS[e % EXPERTS.length]);
            }
        }
        List<Integer> unassigned = selectedBy(clusters, null);
        if (unassigned.stream().anyMatch(v -> v > 0)) chart.addSeries("selected", ids, unassigned).setFillColor(NO_EXPERT);
        for (CategorySeries s : chart.getSeriesMap().values()) s.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Bar);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    /** Writes the chart of {@code report} to {@code file} (PNG), atomically. */
    public static void write(StepReport report, Path file) throws IOException {
        byte[] png = png(report);
        AtomicFiles.write(file, png);
    }

    /** Per cluster, the selected count if the cluster's expert is {@code expert} (null: no expert), else 0. */
    private static List<Integer> selectedBy(List<StepReport.Cluster> clusters, String expert) {
        List<Integer> out = new ArrayList<>(Collections.nCopies(clusters.size(), 0));
        for (int i = 0; i < clusters.size(); i++) {
            String chosen = clusters.get(i).expert();
            if (expert == null ? chosen == null : expert.equals(chosen)) out.set(i, clusters.get(i).selected());
        }
        return out;
    }
}
