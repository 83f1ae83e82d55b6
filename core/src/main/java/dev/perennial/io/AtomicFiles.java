/*
 * Atomic file replacement: a file is either absent/old or complete, never half written.
 *
 * The content goes to a temporary file in the target's folder (same file system, so the final rename is a
 * rename(2) and not a copy), is forced to disk, and is then moved over the target with ATOMIC_MOVE, which
 * replaces an existing file on POSIX and Windows. The folder is fsynced afterwards so the rename itself
 * survives a power cut (where the platform allows opening a folder; otherwise this step is skipped).
 * On any failure the temporary file is deleted and the old target is untouched. A process killed mid-write leaves
 * the temporary file behind; isTemporary() recognises such leftovers so that whoever owns the folder next
 * (OutputFolder) can sweep them. rename() is the same commit for a whole folder. Each commit is a FaultInjection
 * point (before and after), so crash tests can stop a process exactly there.
 *
 * The temporary file is created with the default permissions (umask), not the 0600 of Files.createTempFile,
 * so checkpoints end up as readable as any other file the user writes.
 */
package dev.perennial.io;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Atomic file replacement: {@code write} puts the content in a temporary file in the target's folder, forces it to
 * disk, renames it over the target with {@code ATOMIC_MOVE} and fsyncs the folder, so a file is either old or complete;
 * {@code rename} commits a finished file or folder the same way, and {@code isTemporary} recognises what a killed
 * writer left behind.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state; each write uses its
 * own randomly named temporary file).
 */
public final class AtomicFiles {
    private static final Logger log = LoggerFactory.getLogger(AtomicFiles.class);

    private AtomicFiles() {}

    /** Writes the content of a file to an open channel. */
    @FunctionalInterface
    public interface Content {
        void writeTo(FileChannel channel) throws IOException;
    }

    /** Replaces {@code target} atomically with what {@code content} writes. */
    public static void write(Path target, Content content) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path folder = absolute.getParent();
        Path temp = folder.resolve("." + absolute.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                content.writeTo(ch);
                ch.force(true);
            }
            FaultInjection.point("before-commit " + absolute);
            Files.move(temp, absolute, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException | Error e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        syncFolder(folder);
        FaultInjection.point("after-commit " + absolute);
    }

    /** Replaces {@code target} atomically with {@code bytes}. */
    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, ch -> ChannelIO.writeFully(ch, ByteBuffer.wrap(bytes)));
    }

    /**
     * Renames a finished file or folder into place in one step (rename(2)): {@code to} must not exist unless it is
     * a file. The parent folder is fsynced afterwards.
     */
    public static void rename(Path from, Path to) throws IOException {
        FaultInjection.point("before-rename " + to.toAbsolutePath());
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        Path parent = to.toAbsolutePath().getParent();
        if (parent != null) syncFolder(parent);
        FaultInjection.point("after-rename " + to.toAbsolutePath());
    }

    /** Whether {@code name} is a temporary file of write() (".NAME.<hex>.tmp"), which only a crash leaves behind. */
    public static boolean isTemporary(String name) {
        return TEMPORARY.matcher(name).matches();
    }

    private static final java.util.regex.Pattern TEMPORARY = java.util.regex.Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp");

    private static void syncFolder(Path folder) {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException e) {
            log.debug("cannot fsync folder {} ({}); the rename is not forced to disk", folder, e.toString());
        }
    }
}
