/*
 * The adapt-step job on local[2] (7 tasks, one projection group each) against the single-machine command line on the
 * same pool: its vectors and every scorer's scores equal `perennial score`'s (≤ 1e-5; NaN rows for the missing
 * image at the same place) and records.json is the same; pool.parquet holds one row per sample; `perennial select
 * --labels` with the job's labels.npy selects and prunes exactly as the job did (selected_ids.json, kept_ids.json,
 * the clusters' experts and entropies); bad input is one line on stderr.
 */
package dev.perennial.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.Npy;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class AdaptStepLocalTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static void assertClose(Path expected, Path actual, double tolerance) throws IOException {
        float[] a = Npy.read(expected).toFloatArray(), b = Npy.read(actual).toFloatArray();
        assertEquals(a.length, b.length, expected.getFileName().toString());
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i])) assertTrue(Float.isNaN(b[i]), actual + "[" + i + "] should be NaN");
            else assertEquals(a[i], b[i], tolerance, actual + "[" + i + "]");
        }
    }

    static int[] ints(Path json) throws IOException {
        JsonNode a = JSON.readTree(json.toFile());
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Test
    void equalsScoreAndSelectWithItsLabels() throws Exception {
        SparkPool pool = new SparkPool(dir);
        Path job = dir.resolve("job"), score = dir.resolve("score"), select = dir.resolve("select");
        int code = PerennialSpark.execute(pool.adaptStep("local[2]", job));
        assertEquals(0, code);
        List<String> scoreArgs = new java.util.ArrayList<>(List.of("score"));
        scoreArgs.addAll(pool.scoreOptions());
        SparkPool.Cli scored = SparkPool.perennial(SparkPool.concat(scoreArgs, "--backend", "cpu", "--out", score.toString()));
        assertEquals(0, scored.exitCode(), scored.err());

        assertArrayEquals(new int[]{SparkPool.N, 32}, Npy.read(job.resolve("vectors.npy")).shape());
        assertClose(score.resolve("vectors.npy"), job.resolve("vectors.npy"), 1e-5);
        for (String s : SparkPool.SCORERS) assertClose(score.resolve(s + ".npy"), job.resolve(s + ".npy"), 1e-5);
        assertEquals(JSON.readTree(score.resolve("records.json").toFile()), JSON.readTree(job.resolve("records.json").toFile()));
        float[] v = Npy.read(job.resolve("vectors.npy")).toFloatArray();
        assertTrue(Float.isNaN(v[5 * 32]), "the missing image's row (a5) is invalid");
        assertTrue(Files.exists(job.resolve("pool.parquet/_SUCCESS")));

        long[] labels = Npy.read(job.resolve("labels.npy")).toLongArray();
        assertEquals(-1, labels[5], "the invalid sample has no cluster");
        for (String f : List.of("selected_ids.json", "report.json", "kept_ids.json", "centroids.npy")) assertTrue(Files.exists(job.resolve(f)), f);
        assertEquals(5, ints(job.resolve("selected_ids.json")).length);
        assertEquals(10, ints(job.resolve("kept_ids.json")).length);

        SparkPool.Cli selected = SparkPool.perennial("select", "--vectors", job.resolve("vectors.npy").toString(), "--scores", job.toString(),
                "--labels", job.resolve("labels.npy").toString(), "--budget", "5", "--prune-to", "10", "--seed", "0", "--backend", "cpu",
                "--out", select.toString());
        assertEquals(0, selected.exitCode(), selected.err());
        assertArrayEquals(ints(job.resolve("selected_ids.json")), ints(select.resolve("selected_ids.json")));
        assertArrayEquals(ints(job.resolve("kept_ids.json")), ints(select.resolve("kept_ids.json")));
        JsonNode a = JSON.readTree(job.resolve("report.json").toFile()), b = JSON.readTree(select.resolve("report.json").toFile());
        assertEquals(a.get("clusters"), b.get("clusters"), "experts, entropies and counts per cluster");
    }

    @Test
    void badInputIsOneLine() throws Exception {
        SparkPool pool = new SparkPool(dir);
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true));
        try {
            String[] args = pool.adaptStep("local[1]", dir.resolve("o"));
            for (int i = 0; i < args.length; i++) if (args[i].equals("--clusters")) args[i + 1] = "40";
            assertEquals(1, PerennialSpark.execute(args));
            String[] missing = pool.adaptStep("local[1]", dir.resolve("o2"));
            for (int i = 0; i < missing.length; i++) if (missing[i].equals("--data")) missing[i + 1] = dir.resolve("nope.json").toString();
            assertEquals(1, PerennialSpark.execute(missing));
        } finally {
            System.setErr(saved);
            SparkSession.getActiveSession();
        }
        List<String> lines = err.toString().lines().filter(l -> l.startsWith("perennial-spark: ")).toList();
        assertEquals(2, lines.size(), err.toString());
        assertTrue(lines.get(0).contains("K = 40 exceeds the pool of 13 samples with finite vectors"), lines.get(0));
        assertTrue(lines.get(1).contains("no such file: " + dir.resolve("nope.json")), lines.get(1));
    }
}
