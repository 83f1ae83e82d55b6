/*
 * The one guard every command that writes a folder goes through (docs/architecture.md, "Output folders and resume"):
 *
 *  1. an exclusive lock: lock() takes an OS file lock on DIR/.perennial.lock for as long as the folder is open and
 *     writes who holds it (pid, command, host, start time) into that file; a second process is refused with that
 *     holder named, instead of both writing the same temporary files. The lock dies with its process (kill -9
 *     included), so a crashed run never leaves the folder locked;
 *  2. a manifest, DIR/perennial-output.json: the command, the run's Fingerprint and whether it finished. start()
 *     compares it with the run about to begin:
 *       empty or new folder                 -> FRESH
 *       same command and fingerprint,
 *         unfinished, resume allowed        -> RESUMED (what a crashed writer left half-made, AtomicFiles
 *                                                temporaries and "*.tmp<digits>" folders, is deleted first)
 *         finished, resume allowed          -> FINISHED (nothing to do; the outputs are there)
 *       anything else without overwrite     -> refused, naming what differs and the option that would proceed
 *       anything else with overwrite        -> the folder is emptied (the lock file stays) -> FRESH
 *     A non-empty folder without a manifest (files perennial did not write) is refused even with overwrite: it
 *     may hold someone's data.
 *  3. finish() marks the manifest finished, atomically, as the run's last act. A run that ends (by an exception)
 *     before writing anything but the manifest takes the manifest away again on close(), so that correcting a
 *     mistyped option does not meet an "interrupted run with other settings".
 *
 * The manifest is deterministic (no times, no pids), so an interrupted-then-resumed run leaves the same bytes as an
 * uninterrupted one; only the lock file differs.
 */
package dev.perennial.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The guard of every command that writes a folder: {@code lock} takes an exclusive OS file lock on
 * {@code .perennial.lock} (a second holder, in this process or another, is refused), {@code start} compares the
 * run's {@link Fingerprint} with the manifest {@code perennial-output.json} to decide fresh, resumed, finished or
 * refused, and {@code finish} marks the manifest finished.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its closed, finished, fingerprint
 * and keep fields change without synchronization. {@code lock} itself may be called from several threads: a
 * concurrent set of the locks this JVM holds refuses a second lock of the same folder.
 */
public final class OutputFolder implements AutoCloseable {
    public static final String MANIFEST = "perennial-output.json", LOCK = ".perennial.lock";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How start() found the folder. */
    public enum Start { FRESH, RESUMED, FINISHED }

    /** The folder cannot be used as asked; the message says why and what would proceed. */
    public static final class RefusedException extends IOException {
        public RefusedException(String message) { super(message); }
    }

    /**
     * The lock files this JVM holds (real paths). A POSIX process loses all its locks on a file as soon as it closes
     * any channel to that file, so a second lock() of a held folder must be refused before it opens the lock file:
     * closing that second channel would silently unlock the folder for every other process.
     */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path dir;
    private final String command;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final Path heldKey;
    private boolean closed;
    private Fingerprint fingerprint;
    private Set<String> keep = Set.of();
    private boolean finished;

    private OutputFolder(Path dir, String command, FileChannel lockChannel, FileLock lock, Path heldKey) {
        this.dir = dir;
        this.command = command;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.heldKey = heldKey;
    }

    /** Creates {@code dir} if needed and takes its lock for {@code command}, or fails naming the holder. */
    public static OutputFolder lock(Path dir, String command) throws IOException {
        if (Files.exists(dir) && !Files.isDirectory(dir)) throw new RefusedException(dir + " is a file, not a folder");
        Files.createDirectories(dir);
        Path file = dir.resolve(LOCK);
        Path key = dir.toRealPath().resolve(LOCK);
        if (!HELD.add(key)) throw new RefusedException(dir + " is already in use by this process (another run writes it)");
        boolean locked = false;
        try {
            OutputFolder f = lock(dir, command, file, key);
            locked = true;
            return f;
        } finally {
            if (!locked) HELD.remove(key);
        }
    }

    private static OutputFolder lock(Path dir, String command, Path file, Path key) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            ch.close();
            throw new RefusedException(dir + " is already in use by this process (another run writes it)");
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (l == null) {
            String holder;
            try {
                holder = Files.readString(file, StandardCharsets.UTF_8).strip().replace('\n', ',');
            } finally {
                ch.close();
            }
            throw new RefusedException(dir + " is in use by another process (" + (holder.isEmpty() ? "holder unknown" : holder)
                    + "); wait for it to finish or choose another output folder");
        }
        String me = "pid " + ProcessHandle.current().pid() + " (perennial " + command + ") on " + host() + " since " + Instant.now();
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((me + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(true);
        return new OutputFolder(dir, command, ch, l, key);
    }

    public Path dir() { return dir; }

    /**
     * Checks the folder against the run about to start (see the class comment) and records its manifest.
     * @param resume    the caller can continue an unfinished run of the same settings (and accepts a finished one)
     * @param overwrite an existing run of other settings, or a finished one, may be deleted
     */
    public Start start(Fingerprint settings, boolean resume, boolean overwrite) throws IOException {
        return start(settings, resume, overwrite, Set.of());
    }

    /**
     * start(), where the entries named in {@code keep} (e.g. a base model another command put there) may already be
     * in the folder: they neither make it foreign nor are deleted by overwrite.
     */
    public Start start(Fingerprint settings, boolean resume, boolean overwrite, Set<String> keep) throws IOException {
        this.keep = keep;
        this.fingerprint = settings;
        Path manifest = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifest)) {
            // nothing here is perennial's but, at most, a temporary of a first manifest write that crashed: anything
            // else is left alone, temporary-looking names included (the folder may hold someone's data)
            List<String> foreign = new ArrayList<>(), stale = new ArrayList<>();
            for (String n : contents()) (n.startsWith("." + MANIFEST + ".") && AtomicFiles.isTemporary(n) ? stale : foreign).add(n);
            if (!foreign.isEmpty()) {
                throw new RefusedException(dir + " is not empty (" + String.join(", ", foreign.subList(0, Math.min(3, foreign.size())))
                        + (foreign.size() > 3 ? ", …" : "") + ") and was not written by perennial; choose a new or empty folder");
            }
            for (String n : stale) Files.deleteIfExists(dir.resolve(n));
            writeManifest(false);
            return Start.FRESH;
        }
        sweepTemporaries();
        JsonNode m;
        try {
            m = JSON.readTree(manifest.toFile());
        } catch (IOException e) {
            throw new RefusedException(manifest + " is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + "); "
                    + "delete the folder or choose another");
        }
        String before = m.path("command").asText("?");
        boolean finished = m.path("finished").asBoolean(false);
        Fingerprint stored = Fingerprint.of(m.path("settings").isObject() ? JSON.convertValue(m.get("settings"), java.util.Map.class) : null);
        String problem = null;
        if (!before.equals(command)) problem = "holds the output of `perennial " + before + "`, not `" + command + "`";
        else if (!stored.equals(settings)) problem = "holds " + (finished ? "a finished" : "an interrupted") + " run with other settings ("
                + settings.describeDifferences(stored, 6) + ")";
        if (problem == null && resume) return finished ? Start.FINISHED : Start.RESUMED;
        if (overwrite) {
            clear();
            writeManifest(false);
            return Start.FRESH;
        }
        if (problem == null) {
            problem = finished ? "already holds the finished run" : "holds an interrupted run of the same settings";
            throw new RefusedException(dir + " " + problem + "; " + (finished ? "" : "resume it with --resume, or ")
                    + "use --overwrite to replace it, or choose another folder");
        }
        throw new RefusedException(dir + " " + problem + "; use --overwrite to replace it, or choose another folder");
    }

    /** Marks the run finished (its outputs are complete). */
    public void finish() throws IOException {
        if (fingerprint == null) throw new IllegalStateException("finish() before start()");
        writeManifest(true);
        finished = true;
    }

    private void writeManifest(boolean finished) throws IOException {
        ObjectNode m = JSON.createObjectNode();
        m.put("command", command);
        m.put("finished", finished);
        m.set("settings", JSON.valueToTree(fingerprint.entries()));
        AtomicFiles.write(dir.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m));
    }

    /** Names in the folder other than the lock file. */
    private List<String> contents() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(LOCK) && !keep.contains(n)).sorted().toList();
        }
    }

    /** Deletes everything but the lock file and the kept entries. */
    private void clear() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().equals(LOCK) && !keep.contains(p.getFileName().toString())).toList()) {
                FileTrees.delete(p);
            }
        }
    }

    /** Deletes what a crashed writer left half-made: AtomicFiles temporaries and "*.tmp*" folders, anywhere below. */
    private void sweepTemporaries() throws IOException {
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.filter(p -> !p.equals(dir)).forEach(p -> {
                String n = p.getFileName().toString();
                if (AtomicFiles.isTemporary(n) || (Files.isDirectory(p) && n.matches(".+\\.tmp\\d+"))) stale.add(p);
            });
        }
        stale.sort(Comparator.comparingInt(Path::getNameCount));
        for (Path p : stale) FileTrees.delete(p);
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "this host";
        }
    }

    /** Releases the lock (the lock file stays: deleting it would race with a process about to lock it). */
    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        if (fingerprint != null && !finished && contents().equals(List.of(MANIFEST))) {
            Files.deleteIfExists(dir.resolve(MANIFEST));                  // the run wrote nothing: leave no trace of it
        }
        try {
            lock.release();
        } finally {
            try {
                lockChannel.close();
            } finally {
                HELD.remove(heldKey);
            }
        }
    }
}
