/*
 * The fault-injection harness (docs/reliability.md, "Crash and resume"): a command runs in a child JVM and is killed
 * — at a chosen commit point (io.FaultInjection halts the JVM there, as kill -9 would) or at a random moment
 * (Process.destroyForcibly, SIGKILL) — then rerun, possibly killed again, until it exits 0; its output folder must
 * then equal the output folder of an uninterrupted run, file for file and byte for byte.
 *
 * The only bytes allowed to differ are wall-clock measurements and the lock file's holder line: "seconds" fields
 * of JSON files and the seconds column of report.md tables are removed before comparing, and .perennial.lock is
 * not compared.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.FaultInjection;
import dev.perennial.io.FileTrees;
import dev.perennial.io.OutputFolder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

final class CrashHarness {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_SECONDS = 600;

    /** How densely a campaign kills: the short variant runs in CI, the long one for docs/reliability.md. */
    record Variant(String name, int commitKills, int randomKills) {
        static Variant fromProperty() {
            return "long".equals(System.getProperty("perennial.crash.variant")) ? new Variant("long", Integer.MAX_VALUE, 6) : new Variant("short", 3, 1);
        }
    }

    /** One child run's end. */
    record Exit(int code, boolean killed, String output, double seconds) {}

    /** What a campaign did (for the report). */
    record Summary(String name, int points, List<Integer> killedAt, int randomKills, int reruns, double referenceSeconds, double seconds) {
        String line() {
            return String.format(java.util.Locale.ROOT, "%s: %d commit points in an uninterrupted run (%.1f s); killed at %d of them %s and %d times at random; "
                    + "%d reruns; every final folder equal to the uninterrupted one; %.0f s in all", name, points, referenceSeconds, killedAt.size(),
                    killedAt.size() <= 12 ? killedAt.toString() : "", randomKills, reruns, seconds);
        }
    }

    /**
     * A command under test: {@code args(attempt)} builds the first run's arguments for an attempt folder, {@code rerun}
     * the arguments of each later run (e.g. with --resume), {@code output} the folder whose final state is compared.
     */
    record Command(String name, Path workDir, Function<Path, List<String>> args, Function<Path, List<String>> rerun, Function<Path, Path> output,
                   java.util.function.ToIntFunction<List<String>> targeted) {
        Command(String name, Path workDir, Function<Path, List<String>> args, Function<Path, List<String>> rerun, Function<Path, Path> output) {
            this(name, workDir, args, rerun, output, points -> 0);
        }
    }

    private final Path root;
    private final Variant variant;
    private final SplittableRandom random;

    CrashHarness(Path root, Variant variant, long seed) {
        this.root = root;
        this.variant = variant;
        this.random = new SplittableRandom(seed);
    }

    /** Runs the whole campaign for one command; fails the test on any difference or any run that cannot finish. */
    Summary campaign(Command c) throws Exception {
        long t0 = System.nanoTime();
        // every run uses the same folder, so paths recorded in outputs are the same too
        Path reference = Files.createDirectories(root.resolve(c.name()));
        Path trace = root.resolve(c.name() + "-trace.txt");
        Exit ref = child(c, c.args().apply(reference), Map.of("PERENNIAL_FAULT_TRACE", trace.toString()), -1);
        assertEquals(0, ref.code(), c.name() + ": the uninterrupted run failed: " + ref.output());
        List<String> points = Files.readAllLines(trace);
        assertTrue(points.size() >= 2, c.name() + ": fewer than two commit points in " + points);
        Map<String, byte[]> expected = comparable(c.output().apply(reference));
        FileTrees.delete(reference);

        List<Integer> kills = choose(points.size());
        int target = c.targeted().applyAsInt(points);              // plus the point the command singles out (1-based; 0: none)
        if (target > 0 && !kills.contains(target)) kills.add(target);
        int reruns = 0;
        for (int k : kills) {
            Path attempt = Files.createDirectories(root.resolve(c.name()));
            Exit killed = child(c, c.args().apply(attempt), Map.of("PERENNIAL_FAULT_AT", Integer.toString(k)), -1);
            assertEquals(FaultInjection.HALT_CODE, killed.code(), c.name() + ": expected the halt at point " + k + " (" + points.get(k - 1) + "): " + killed.output());
            reruns += finish(c, attempt, points.get(k - 1));
            assertSame(c, expected, attempt, "killed at point " + k + " (" + points.get(k - 1) + ")");
            FileTrees.delete(attempt);
        }
        int randomKills = 0;
        for (int r = 0; r < variant.randomKills(); r++) {
            Path attempt = Files.createDirectories(root.resolve(c.name()));
            List<String> args = c.args().apply(attempt);
            for (int kill = 0; kill < 2; kill++) {                                // killed twice at random, then left to finish
                long after = (long) ((0.2 + 0.7 * random.nextDouble()) * ref.seconds() * 1000);   // past JVM start, before the end
                Exit e = child(c, args, Map.of(), after);
                if (e.code() == 0) break;
                if (!e.killed()) fail(c.name() + ": a run failed on its own after a random kill: " + e.output());
                randomKills++;
                args = c.rerun().apply(attempt);
            }
            reruns += finish(c, attempt, "random kill");
            assertSame(c, expected, attempt, "killed at random (run " + r + ")");
            FileTrees.delete(attempt);
        }
        return new Summary(c.name(), points.size(), kills, randomKills, reruns, ref.seconds(), (System.nanoTime() - t0) / 1e9);
    }

    /** Reruns until the command exits 0 (at most 3 times); returns the number of reruns. */
    private int finish(Command c, Path attempt, String where) throws Exception {
        for (int i = 1; i <= 3; i++) {
            Exit e = child(c, c.rerun().apply(attempt), Map.of(), -1);
            if (e.code() == 0) return i;
            if (i == 3) fail(c.name() + ": after a kill (" + where + ") the rerun fails: " + e.output());
        }
        return 3;
    }

    /** Which commit points to kill at: evenly spread over the run (first and last included), or all of them (a mutable list). */
    private List<Integer> choose(int points) {
        if (variant.commitKills() >= points) {
            List<Integer> all = new ArrayList<>();
            for (int i = 1; i <= points; i++) all.add(i);
            return all;
        }
        TreeSet<Integer> s = new TreeSet<>();
        int k = variant.commitKills();
        for (int i = 0; i < k; i++) s.add(1 + (int) Math.round((double) i * (points - 1) / (k - 1)));
        return new ArrayList<>(s);
    }

    private void assertSame(Command c, Map<String, byte[]> expected, Path attempt, String what) throws IOException {
        Map<String, byte[]> actual = comparable(c.output().apply(attempt));
        assertEquals(expected.keySet(), actual.keySet(), c.name() + ", " + what + ": the files differ");
        for (var e : expected.entrySet()) {
            if (!Arrays.equals(e.getValue(), actual.get(e.getKey()))) {
                fail(c.name() + ", " + what + ": " + e.getKey() + " differs from the uninterrupted run's" + firstDifference(e.getValue(), actual.get(e.getKey())));
            }
        }
    }

    /** For text files, the first differing line of each (a binary file is only said to differ). */
    private static String firstDifference(byte[] a, byte[] b) {
        String x = new String(a, StandardCharsets.UTF_8), y = new String(b, StandardCharsets.UTF_8);
        if (x.chars().anyMatch(ch -> ch == 0)) return "";
        int i = 0;
        while (i < Math.min(x.length(), y.length()) && x.charAt(i) == y.charAt(i)) i++;
        int from = Math.max(0, i - 60);
        return ":\n  uninterrupted: …" + x.substring(from, Math.min(x.length(), i + 120)) + "\n  resumed:       …" + y.substring(from, Math.min(y.length(), i + 120));
    }

    /** The folder's files, relative path -> bytes, with wall-clock fields removed (class comment). */
    static Map<String, byte[]> comparable(Path folder) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(folder)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = folder.relativize(p).toString().replace('\\', '/');
                if (p.getFileName().toString().equals(OutputFolder.LOCK)) continue;
                byte[] b = Files.readAllBytes(p);
                if (rel.endsWith(".json")) {
                    JsonNode n = JSON.readTree(b);
                    dropSeconds(n);
                    b = JSON.writeValueAsBytes(n);
                } else if (rel.endsWith(".md")) {
                    b = new String(b, StandardCharsets.UTF_8).replaceAll("(?m)\\| [0-9.]+ \\|$", "|").getBytes(StandardCharsets.UTF_8);
                }
                m.put(rel, b);
            }
        }
        return m;
    }

    private static void dropSeconds(JsonNode n) {
        if (n instanceof ObjectNode o) {
            o.remove("seconds");
            o.forEach(CrashHarness::dropSeconds);
        } else if (n instanceof ArrayNode a) {
            a.forEach(CrashHarness::dropSeconds);
        }
    }

    /** Runs `perennial ARGS` in a child JVM; with killAfterMillis >= 0 it is killed (SIGKILL) after that long if still running. */
    private Exit child(Command c, List<String> args, Map<String, String> env, long killAfterMillis) throws Exception {
        List<String> cmd = CliRun.javaCommand(List.of(), PerennialCommand.class, args);
        Path log = Files.createTempFile(root, c.name(), ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(c.workDir().toFile()).redirectErrorStream(false)
                .redirectOutput(log.toFile()).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().remove("PERENNIAL_FAULT_AT");
        pb.environment().remove("PERENNIAL_FAULT_TRACE");
        pb.environment().putAll(env);
        long t0 = System.nanoTime();
        Process p = pb.start();
        try {
            boolean done = killAfterMillis >= 0 ? p.waitFor(killAfterMillis, TimeUnit.MILLISECONDS) : p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(60, TimeUnit.SECONDS);
                if (killAfterMillis < 0) fail(c.name() + ": a run did not end within " + TIMEOUT_SECONDS + " s");
            }
            String text = Files.readString(log);
            return new Exit(done ? p.exitValue() : FaultInjection.HALT_CODE, !done, text, (System.nanoTime() - t0) / 1e9);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(log);
        }
    }
}
