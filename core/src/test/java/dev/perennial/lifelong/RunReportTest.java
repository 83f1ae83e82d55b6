/*
 * RunReport on hand-made results (no model): metrics.json carries forward transfer against the zero-shot row and the
 * relative gain against the multitask strategy (worked out in the comments), left out where multitask scored 0 and
 * absent without a multitask strategy; accuracy_matrix.csv starts each strategy with its zero-shot line; report.md
 * and the printed table show both metrics.
 */
package dev.perennial.lifelong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.eval.AccuracyMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** A two-task result with zero-shot row (0.2, 0.1) and the given step rows. */
    private static LifelongRun.Result result(String name, double[] after0, double[] after1) {
        AccuracyMatrix m = new AccuracyMatrix(List.of("a", "b"));
        m.setZeroShot(new double[]{0.2, 0.1});
        m.addRow(after0);
        m.addRow(after1);
        return new LifelongRun.Result(name, m, List.of(new Strategy.StepOutcome(3, 1, 0.5), new Strategy.StepOutcome(3, 1, 0.5)), 2);
    }

    /**
     *                 a     b
     * zero-shot       0.2   0.1
     * sequential 0    0.9   0.3     FWT = (0.3 - 0.1) / 1 = 0.2; relative gain = 0.5 / 0.6 × 100 (b left out)
     *            1    0.5   0.8
     * multitask  0    0.8   0.4     FWT = (0.4 - 0.1) / 1 = 0.3; relative gain 100 (its own reference)
     *            1    0.6   0.0     the reference scored 0 on b: b has no ratio
     */
    @Test
    void forwardTransferAndRelativeGainAreWrittenAndShown() throws IOException {
        List<RunReport.Line> lines = RunReport.write(dir, List.of(
                result("sequential", new double[]{0.9, 0.3}, new double[]{0.5, 0.8}),
                result("multitask", new double[]{0.8, 0.4}, new double[]{0.6, 0.0})));
        JsonNode metrics = JSON.readTree(dir.resolve("metrics.json").toFile());
        assertEquals(0.2, metrics.get("zero_shot").get("a").asDouble(), 0);
        JsonNode seq = metrics.get("strategies").get("sequential"), multi = metrics.get("strategies").get("multitask");
        assertEquals(0.2, seq.get("fwt").asDouble(), 1e-12);
        assertEquals(0.3, multi.get("fwt").asDouble(), 1e-12);
        assertEquals(0.5 / 0.6 * 100, seq.get("relative_gain").asDouble(), 1e-9);
        assertEquals(100, multi.get("relative_gain").asDouble(), 1e-12);
        assertEquals(0.5 / 0.6 * 100, lines.get(0).relativeGain(), 1e-9);

        assertEquals(List.of("strategy,after,a,b", "sequential,zero-shot,0.200000,0.100000", "sequential,a,0.900000,0.300000",
                "sequential,b,0.500000,0.800000", "multitask,zero-shot,0.200000,0.100000", "multitask,a,0.800000,0.400000",
                "multitask,b,0.600000,0.000000"), Files.readAllLines(dir.resolve("accuracy_matrix.csv")));

        String report = Files.readString(dir.resolve("report.md"));
        assertTrue(report.contains("left out: b (multitask scored 0 there"), report);
        assertTrue(report.contains("| sequential | 65.0 | -40.0 | 40.0 | +20.0 | 85.0 | 77.5 | 83.3 | 6 | 2 |"), report);
        assertTrue(report.contains("| zero-shot | 20.0 | 10.0 |"), report);
        assertTrue(RunReport.table(lines).startsWith("| strategy | final avg acc | BWT | forgetting | FWT | MFT | MAA | relative gain |"));
    }

    /** Without a multitask strategy there is no reference: no relative_gain key, "-" in the table; FWT needs A[0][1]. */
    @Test
    void withoutMultitaskThereIsNoRelativeGain() throws IOException {
        RunReport.write(dir, List.of(result("replay", new double[]{0.9, Double.NaN}, new double[]{0.5, 0.8})));
        JsonNode replay = JSON.readTree(dir.resolve("metrics.json").toFile()).get("strategies").get("replay");
        assertFalse(replay.has("relative_gain"), replay.toString());
        assertTrue(replay.get("fwt").isNull(), "A[0][1] was not evaluated: " + replay);
        String report = Files.readString(dir.resolve("report.md"));
        assertTrue(report.contains("this run has no multitask strategy") && report.contains("| replay | 65.0 | -40.0 | 40.0 | - |"), report);
    }
}
