/*
 * Whole folders at once: delete a tree (children before parents; a missing path is fine) and copy a tree (files
 * replaced, folders created). Used where run state moves as folders: step folders, checkpoints, data pools.
 */
package dev.perennial.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Whole folders at once: {@code delete} removes a tree, children before parents (a missing path is fine), and
 * {@code copy} copies a tree, creating folders and replacing existing files. Neither is atomic.
 * <p>Stateless; its static methods are safe to call from several threads, though concurrent calls on overlapping trees
 * race on the file system.
 */
public final class FileTrees {
    private FileTrees() {}

    /** Deletes {@code p} and everything under it; nothing happens when it does not exist. */
    public static void delete(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }

    /** Copies the tree {@code from} to {@code to} (created; existing files replaced). */
    public static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
