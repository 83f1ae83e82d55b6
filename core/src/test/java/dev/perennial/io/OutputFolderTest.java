/*
 * OutputFolder, the guard every writing command goes through: the decision table of start() (fresh, resumed,
 * finished, refused, overwritten), the manifest it writes, what overwrite deletes and what it must never delete (the
 * lock file, `keep` entries, and above all a folder perennial did not write), the sweep of a crashed writer's
 * temporaries, and the lock, both within this JVM and against another process: a second run on the same folder is
 * refused naming the holder, and a killed holder never leaves the folder locked. The cross-process tests run a real
 * child JVM (LockHolderMain) because an OS file lock is per process: nothing inside one JVM can show it works.
 */
package dev.perennial.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OutputFolderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CHILD_TIMEOUT_S = 60;

    @TempDir
    Path tmp;

    private static Fingerprint settings(int epochs) {
        return Fingerprint.builder().put("epochs", epochs).put("data", "sha256:0123456789abcdef (10 bytes)").build();
    }

    /** A run of {@code command} that starts in {@code dir} and, if {@code finish}, completes. */
    private static void run(Path dir, String command, Fingerprint settings, boolean finish) throws IOException {
        try (OutputFolder f = OutputFolder.lock(dir, command)) {
            assertEquals(OutputFolder.Start.FRESH, f.start(settings, false, false));
            Files.writeString(dir.resolve("model.safetensors"), "weights");
            Files.createDirectories(dir.resolve("step-1"));
            Files.writeString(dir.resolve("step-1/state.json"), "{}");
            if (finish) f.finish();
        }
    }

    /** lock + start, then an output file is written (a run that writes nothing takes its manifest away on close). */
    private static OutputFolder.Start start(Path dir, String command, Fingerprint settings, boolean resume, boolean overwrite) throws IOException {
        try (OutputFolder f = OutputFolder.lock(dir, command)) {
            OutputFolder.Start s = f.start(settings, resume, overwrite);
            Files.writeString(dir.resolve("output.bin"), "written");
            return s;
        }
    }

    private static OutputFolder.RefusedException refused(Path dir, String command, Fingerprint settings, boolean resume, boolean overwrite) {
        return assertThrows(OutputFolder.RefusedException.class, () -> start(dir, command, settings, resume, overwrite),
                "start(resume=" + resume + ", overwrite=" + overwrite + ") must be refused");
    }

    private static JsonNode manifest(Path dir) throws IOException {
        return JSON.readTree(dir.resolve(OutputFolder.MANIFEST).toFile());
    }

    /** Every file under {@code dir} (relative path -> content), the lock file excepted. */
    private static Map<String, String> snapshot(Path dir) throws IOException {
        Map<String, String> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(p -> !p.equals(dir)).toList()) {
                String rel = dir.relativize(p).toString();
                if (rel.equals(OutputFolder.LOCK)) continue;
                m.put(rel, Files.isDirectory(p) ? "<dir>" : Files.readString(p));
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- start(): the decision table

    @Test
    void aNewFolderStartsFreshAndGetsAManifest() throws IOException {
        Path dir = tmp.resolve("new/out");
        try (OutputFolder f = OutputFolder.lock(dir, "train")) {
            assertEquals(dir, f.dir());
            assertTrue(Files.isDirectory(dir), "lock() creates the folder");
            assertEquals(OutputFolder.Start.FRESH, f.start(settings(1), false, false));
            assertTrue(Files.isRegularFile(dir.resolve("perennial-output.json")), "the manifest is written at start");
            Files.writeString(dir.resolve("output.bin"), "written");
        }
        assertTrue(Files.isRegularFile(dir.resolve(OutputFolder.LOCK)));
        JsonNode m = manifest(dir);
        assertEquals("train", m.path("command").asText());
        assertFalse(m.path("finished").asBoolean(true), "a started run is not finished");
        assertEquals(settings(1), Fingerprint.of(new com.fasterxml.jackson.databind.ObjectMapper().convertValue(m.get("settings"), java.util.Map.class)));

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertEquals(OutputFolder.Start.FRESH, start(empty, "train", settings(1), true, false), "an empty folder is fresh too");
    }

    @Test
    void theSameSettingsResumeAnUnfinishedRun() throws IOException {
        Path dir = tmp.resolve("out");
        run(dir, "train", settings(1), false);
        assertEquals(OutputFolder.Start.RESUMED, start(dir, "train", settings(1), true, false));
        assertEquals("weights", Files.readString(dir.resolve("model.safetensors")), "resume keeps the run's files");

        OutputFolder.RefusedException e = refused(dir, "train", settings(1), false, false);
        assertTrue(e.getMessage().contains("interrupted") && e.getMessage().contains("--resume") && e.getMessage().contains("--overwrite"),
                e.getMessage());
        assertTrue(Files.exists(dir.resolve("model.safetensors")), "a refused start deletes nothing");
    }

    @Test
    void aFinishedRunIsFinishedOrRefusedOrOverwritten() throws IOException {
        Path dir = tmp.resolve("out");
        run(dir, "train", settings(1), true);
        assertTrue(manifest(dir).path("finished").asBoolean(false), "finish() marks the manifest");

        assertEquals(OutputFolder.Start.FINISHED, start(dir, "train", settings(1), true, false));
        assertTrue(manifest(dir).path("finished").asBoolean(false), "a FINISHED start leaves the manifest finished");

        OutputFolder.RefusedException e = refused(dir, "train", settings(1), false, false);
        assertTrue(e.getMessage().contains("finished"), e.getMessage());
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        assertFalse(e.getMessage().contains("--resume"), "a finished run cannot be resumed: " + e.getMessage());
        assertTrue(Files.exists(dir.resolve("step-1/state.json")));
    }

    @Test
    void overwriteDeletesTheOldRunButKeepsTheLockFileAndKeptEntries() throws IOException {
        Path dir = tmp.resolve("out");
        Files.createDirectories(dir.resolve("base-model"));
        Files.writeString(dir.resolve("base-model/config.json"), "{\"base\": true}");
        try (OutputFolder f = OutputFolder.lock(dir, "train")) {
            assertEquals(OutputFolder.Start.FRESH, f.start(settings(1), false, false, Set.of("base-model")),
                    "kept entries do not make a folder foreign");
            Files.writeString(dir.resolve("model.safetensors"), "weights");
            Files.createDirectories(dir.resolve("step-1"));
            Files.writeString(dir.resolve("step-1/state.json"), "{}");
            f.finish();
        }
        try (OutputFolder f = OutputFolder.lock(dir, "train")) {
            assertEquals(OutputFolder.Start.FRESH, f.start(settings(1), false, true, Set.of("base-model")));
            Files.writeString(dir.resolve("output.bin"), "written");
        }
        assertFalse(Files.exists(dir.resolve("model.safetensors")), "overwrite deletes the old outputs");
        assertFalse(Files.exists(dir.resolve("step-1")), "overwrite deletes old folders");
        assertTrue(Files.exists(dir.resolve(OutputFolder.LOCK)), "the lock file stays");
        assertEquals("{\"base\": true}", Files.readString(dir.resolve("base-model/config.json")), "kept entries stay");
        assertFalse(manifest(dir).path("finished").asBoolean(true), "the new run is not finished");
        assertEquals(Set.of(OutputFolder.LOCK, OutputFolder.MANIFEST, "base-model", "output.bin"), names(dir));
    }

    @Test
    void otherSettingsAreRefusedNamingTheDifferenceUnlessOverwritten() throws IOException {
        Path dir = tmp.resolve("out");
        run(dir, "train", settings(1), false);
        Map<String, String> before = snapshot(dir);
        for (boolean resume : new boolean[]{true, false}) {
            OutputFolder.RefusedException e = refused(dir, "train", settings(2), resume, false);
            assertTrue(e.getMessage().contains("epochs: 1 before, 2 now"), e.getMessage());
            assertFalse(e.getMessage().contains("data:"), "only differing entries are named: " + e.getMessage());
            assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        }
        assertEquals(before, snapshot(dir), "refusals change nothing");

        run(tmp.resolve("finished"), "train", settings(1), true);
        OutputFolder.RefusedException e = refused(tmp.resolve("finished"), "train", settings(2), true, false);
        assertTrue(e.getMessage().contains("finished run with other settings (epochs: 1 before, 2 now)"), e.getMessage());

        assertEquals(OutputFolder.Start.FRESH, start(dir, "train", settings(2), true, true));
        assertEquals(settings(2), Fingerprint.of(new com.fasterxml.jackson.databind.ObjectMapper().convertValue(manifest(dir).get("settings"), java.util.Map.class)));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
    }

    @Test
    void anotherCommandsFolderIsRefused() throws IOException {
        Path dir = tmp.resolve("out");
        run(dir, "train", settings(1), true);
        for (boolean resume : new boolean[]{true, false}) {
            OutputFolder.RefusedException e = refused(dir, "score", settings(1), resume, false);
            assertTrue(e.getMessage().contains("perennial train") && e.getMessage().contains("score"), e.getMessage());
            assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        }
        assertEquals("train", manifest(dir).path("command").asText());
        assertEquals(OutputFolder.Start.FRESH, start(dir, "score", settings(1), false, true));
        assertEquals("score", manifest(dir).path("command").asText());
    }

    @Test
    void aFolderPerennialDidNotWriteIsNeverTouched() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(dir.resolve("holiday.jpg"), "jpeg");
        Files.createDirectories(dir.resolve("raw/2024"));
        Files.writeString(dir.resolve("raw/2024/a.dng"), "raw");
        // names that look like a crashed writer's temporaries must not be swept from someone else's folder either
        Files.createDirectories(dir.resolve("scratch.tmp"));
        Files.writeString(dir.resolve("scratch.tmp/draft.txt"), "draft");
        Files.writeString(dir.resolve(".notes.txt.cafe.tmp"), "notes");
        Map<String, String> before = snapshot(dir);

        for (boolean resume : new boolean[]{true, false}) {
            for (boolean overwrite : new boolean[]{true, false}) {
                OutputFolder.RefusedException e = refused(dir, "train", settings(1), resume, overwrite);
                assertTrue(e.getMessage().contains("not empty") && e.getMessage().contains("not written by perennial"), e.getMessage());
                assertTrue(e.getMessage().contains("holiday.jpg"), "names some of the files: " + e.getMessage());
            }
        }
        assertEquals(before, snapshot(dir), "the foreign folder's files are untouched");
        assertFalse(Files.exists(dir.resolve(OutputFolder.MANIFEST)), "no manifest is written into a foreign folder");
    }

    @Test
    void aFirstManifestWriteThatCrashedLeavesAFreshFolder() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("out"));
        Files.writeString(dir.resolve(OutputFolder.LOCK), "pid 1 (perennial train) on a host since then\n");
        Files.writeString(dir.resolve("." + OutputFolder.MANIFEST + ".9f8e7d.tmp"), "{\"comm");
        assertEquals(OutputFolder.Start.FRESH, start(dir, "train", settings(1), false, false));
        assertEquals(Set.of(OutputFolder.LOCK, OutputFolder.MANIFEST, "output.bin"), names(dir), "the half-written manifest is swept");
    }

    /** A run that fails before writing anything (a mistyped option) leaves no manifest, so the corrected run is fresh. */
    @Test
    void aRunThatWroteNothingLeavesNoManifest() throws IOException {
        Path dir = tmp.resolve("out");
        try (OutputFolder f = OutputFolder.lock(dir, "select")) {
            f.start(settings(1), false, false);
            assertTrue(Files.isRegularFile(dir.resolve(OutputFolder.MANIFEST)));
        }
        assertEquals(Set.of(OutputFolder.LOCK), names(dir));
        assertEquals(OutputFolder.Start.FRESH, start(dir, "select", settings(2), false, false), "other settings: still fresh");
    }

    @Test
    void startSweepsLeftoverTemporariesAnywhereBelow() throws IOException {
        Path dir = tmp.resolve("out");
        run(dir, "train", settings(1), false);
        // what a writer killed mid-commit leaves: AtomicFiles temporaries and checkpoint folders not yet renamed
        Files.writeString(dir.resolve(".x.json.1a2b3c.tmp"), "half");
        Files.createDirectories(dir.resolve("checkpoint-3.tmp123456"));
        Files.writeString(dir.resolve("checkpoint-3.tmp123456/trainable.safetensors"), "half");
        Files.writeString(dir.resolve("checkpoint-3.tmp123456/.trainer.json.ff00.tmp"), "half");
        Files.writeString(dir.resolve("step-1/.y.json.abcdef0123456789.tmp"), "half");
        Files.createDirectories(dir.resolve("step-1/checkpoint-2.tmp9"));
        Files.writeString(dir.resolve("step-1/checkpoint-2.tmp9/optimizer.safetensors"), "half");
        // and what must stay
        Files.writeString(dir.resolve("x.json"), "whole");
        Files.createDirectories(dir.resolve("checkpoint-2"));
        Files.writeString(dir.resolve("checkpoint-2/trainer.json"), "whole");
        Files.writeString(dir.resolve("step-1/y.json"), "whole");
        Files.writeString(dir.resolve("notes.tmp"), "a file, not a temporary folder");
        Files.writeString(dir.resolve(".hidden.json"), "no random part");

        assertEquals(OutputFolder.Start.RESUMED, start(dir, "train", settings(1), true, false));
        assertEquals(Map.ofEntries(Map.entry("output.bin", "written"),
                        Map.entry("model.safetensors", "weights"),
                        Map.entry(OutputFolder.MANIFEST, Files.readString(dir.resolve(OutputFolder.MANIFEST))),
                        Map.entry("step-1", "<dir>"),
                        Map.entry("step-1/state.json", "{}"),
                        Map.entry("step-1/y.json", "whole"),
                        Map.entry("x.json", "whole"),
                        Map.entry("checkpoint-2", "<dir>"),
                        Map.entry("checkpoint-2/trainer.json", "whole"),
                        Map.entry("notes.tmp", "a file, not a temporary folder"),
                        Map.entry(".hidden.json", "no random part")),
                snapshot(dir));
    }

    @Test
    void theManifestIsDeterministic() throws IOException {
        Path a = tmp.resolve("a"), b = tmp.resolve("b");
        run(a, "train", settings(3), true);
        run(b, "train", settings(3), false);
        try (OutputFolder f = OutputFolder.lock(b, "train")) {
            assertEquals(OutputFolder.Start.RESUMED, f.start(settings(3), true, false));
            f.finish();
        }
        assertArrayEquals(Files.readAllBytes(a.resolve(OutputFolder.MANIFEST)), Files.readAllBytes(b.resolve(OutputFolder.MANIFEST)),
                "an interrupted-then-resumed run leaves the same manifest as an uninterrupted one");
    }

    @Test
    void finishBeforeStartIsAProgrammingError() throws IOException {
        try (OutputFolder f = OutputFolder.lock(tmp.resolve("out"), "train")) {
            assertThrows(IllegalStateException.class, f::finish);
        }
    }

    @Test
    void aFileIsNotAFolder() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");
        OutputFolder.RefusedException e = assertThrows(OutputFolder.RefusedException.class, () -> OutputFolder.lock(file, "train"));
        assertTrue(e.getMessage().contains("is a file"), e.getMessage());
    }

    // ---------------------------------------------------------------- AtomicFiles, which the sweep relies on

    @Test
    void isTemporaryRecognisesOnlyAtomicFilesTemporaries() {
        for (String n : List.of(".x.json.1a2b3c.tmp", ".perennial-output.json." + Long.toHexString(-1L) + ".tmp", ".latest.0.tmp",
                ".trainer.json.ff00.tmp")) {
            assertTrue(AtomicFiles.isTemporary(n), n);
        }
        for (String n : List.of("x.json", ".x.json", "x.json.1a2b.tmp", ".x.json.tmp", ".x.json.xyz.tmp", ".x.json.1a2b.tmp.bak",
                ".x.json." + Long.toHexString(-1L) + "0.tmp", OutputFolder.LOCK, OutputFolder.MANIFEST, "checkpoint-3.tmp123456")) {
            assertFalse(AtomicFiles.isTemporary(n), n);
        }
    }

    @Test
    void atomicWriteLeavesNoTemporaryAndRenameMovesWholeFolders() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("d"));
        AtomicFiles.write(dir.resolve("a.json"), "one".getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("a.json"), "two".getBytes(StandardCharsets.UTF_8));
        assertEquals("two", Files.readString(dir.resolve("a.json")));
        assertEquals(Set.of("a.json"), names(dir), "no temporary is left after a successful write");

        Path staged = Files.createDirectories(dir.resolve("checkpoint-1.tmp77"));
        Files.writeString(staged.resolve("trainer.json"), "{}");
        AtomicFiles.rename(staged, dir.resolve("checkpoint-1"));
        assertFalse(Files.exists(staged));
        assertEquals("{}", Files.readString(dir.resolve("checkpoint-1/trainer.json")), "the folder moves with its contents");

        Path file = Files.writeString(dir.resolve("new-latest"), "checkpoint-1");
        Files.writeString(dir.resolve("latest"), "checkpoint-0");
        AtomicFiles.rename(file, dir.resolve("latest"));
        assertEquals("checkpoint-1", Files.readString(dir.resolve("latest")), "a file target is replaced");
        assertFalse(Files.exists(file));
    }

    // ---------------------------------------------------------------- the lock

    @Test
    void aSecondLockInThisJvmIsRefusedUntilTheFirstCloses() throws IOException {
        Path dir = tmp.resolve("out");
        OutputFolder first = OutputFolder.lock(dir, "train");
        try {
            OutputFolder.RefusedException e = assertThrows(OutputFolder.RefusedException.class, () -> OutputFolder.lock(dir, "score"));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            // the same folder by another spelling is the same folder
            Files.createDirectories(tmp.resolve("x"));
            assertThrows(OutputFolder.RefusedException.class, () -> OutputFolder.lock(tmp.resolve("x/../out"), "train"));
        } finally {
            first.close();
        }
        try (OutputFolder again = OutputFolder.lock(dir, "score")) {
            assertEquals(OutputFolder.Start.FRESH, again.start(settings(1), false, false));
        }
    }

    @Test
    @Timeout(value = 2 * CHILD_TIMEOUT_S, unit = TimeUnit.SECONDS)
    void aRefusedSecondLockInThisJvmKeepsTheFolderLockedForOtherProcesses() throws Exception {
        Path dir = tmp.resolve("out");
        try (OutputFolder first = OutputFolder.lock(dir, "train")) {
            assertThrows(OutputFolder.RefusedException.class, () -> OutputFolder.lock(dir, "train"));
            try (Child child = Child.start(dir, tmp.resolve("child.err"))) {
                String line = child.line();
                assertTrue(line != null && line.startsWith("refused "),
                        "another process must still be refused after a refused lock() in this JVM, got " + line + child.stderr());
                assertTrue(line.contains("pid " + ProcessHandle.current().pid()), "names this process as the holder: " + line);
                assertTrue(child.process.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS));
                assertEquals(2, child.process.exitValue());
            }
        }
    }

    @Test
    @Timeout(value = 2 * CHILD_TIMEOUT_S, unit = TimeUnit.SECONDS)
    void anotherProcessHoldingTheLockIsNamedAndReleasesItWhenItEnds() throws Exception {
        Path dir = tmp.resolve("out");
        try (Child child = Child.start(dir, tmp.resolve("child.err"))) {
            assertEquals("locked", child.line(), "the child did not lock the folder" + child.stderr());

            OutputFolder.RefusedException e = assertThrows(OutputFolder.RefusedException.class, () -> OutputFolder.lock(dir, "score"));
            assertTrue(e.getMessage().contains("pid " + child.process.pid()), "names the holder's pid: " + e.getMessage());
            assertTrue(e.getMessage().contains("perennial train"), "names the holder's command: " + e.getMessage());
            assertTrue(e.getMessage().contains("in use by another process"), e.getMessage());
            // the refusal must not have disturbed the holder's record either
            assertThrows(OutputFolder.RefusedException.class, () -> OutputFolder.lock(dir, "score"));

            child.process.getOutputStream().close();                              // EOF: the child closes its folder
            assertTrue(child.process.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "the child did not exit" + child.stderr());
            assertEquals(0, child.process.exitValue(), child.stderr());
            assertEquals("released", child.line());
        }
        try (OutputFolder f = OutputFolder.lock(dir, "score")) {
            assertEquals(OutputFolder.Start.FRESH, f.start(settings(1), false, false));
        }
    }

    @Test
    @Timeout(value = 2 * CHILD_TIMEOUT_S, unit = TimeUnit.SECONDS)
    void aKilledHolderNeverLeavesTheFolderLocked() throws Exception {
        Path dir = tmp.resolve("out");
        try (Child child = Child.start(dir, tmp.resolve("child.err"))) {
            assertEquals("locked", child.line(), "the child did not lock the folder" + child.stderr());
            assertThrows(OutputFolder.RefusedException.class, () -> OutputFolder.lock(dir, "train"));
            child.process.destroyForcibly();                                       // kill -9: no finally, no close()
            assertTrue(child.process.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS), "the child was not killed");
        }
        try (OutputFolder f = OutputFolder.lock(dir, "train")) {
            assertEquals(OutputFolder.Start.FRESH, f.start(settings(1), false, false));
        }
    }

    private static Set<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return Set.copyOf(s.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** A child JVM running LockHolderMain on a folder; its stdout read line by line with a timeout; destroyed on close. */
    private static final class Child implements AutoCloseable {
        private static final String EOF = "\u0000eof";
        final Process process;
        private final Path err;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        private Child(Process process, Path err) {
            this.process = process;
            this.err = err;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) lines.add(l);
                } catch (IOException ignored) {
                    // the process was destroyed
                } finally {
                    lines.add(EOF);
                }
            }, "child-stdout");
            reader.setDaemon(true);
            reader.start();
        }

        static Child start(Path dir, Path err) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), LockHolderMain.class.getName(), dir.toString(), "train"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
            return new Child(pb.start(), err);
        }

        /** The next line the child printed, or null at its end; fails after the timeout. */
        String line() throws InterruptedException {
            String l = lines.poll(CHILD_TIMEOUT_S, TimeUnit.SECONDS);
            if (l == null) throw new AssertionError("the child printed nothing for " + CHILD_TIMEOUT_S + " s" + stderr());
            return l.equals(EOF) ? null : l;
        }

        String stderr() {
            try {
                String s = Files.exists(err) ? Files.readString(err).strip() : "";
                return s.isEmpty() ? "" : "\nchild stderr:\n" + s;
            } catch (IOException e) {
                return "\n(child stderr unreadable: " + e + ")";
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(CHILD_TIMEOUT_S, TimeUnit.SECONDS);
            }
        }
    }
}
