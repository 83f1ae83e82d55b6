/*
 * The command line's side of io.OutputFolder (docs/architecture.md, "Output folders and resume"): the --overwrite
 * option that every folder-writing command shares, and the fingerprint entries that name a model or a file set.
 * A model enters by its config.json content and its weight files' names and sizes (hashing 14 GB of weights on
 * every start would cost more than it protects; a changed config or a changed shard size is what real mix-ups
 * look like).
 */
package dev.perennial.cli;

import dev.perennial.io.Fingerprint;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

final class OutputGuard {
    @Option(names = "--overwrite", description = "Replace what the output folder holds (a finished run, or a run with other settings).")
    boolean overwrite;

    /** "config sha256:… ; model.safetensors 1,234 bytes; …" of a checkpoint folder (or file). */
    static String model(Path dir) throws IOException {
        if (dir == null) return "none";
        if (!Files.isDirectory(dir)) return Fingerprint.fileDigest(dir);
        StringBuilder s = new StringBuilder();
        Path config = dir.resolve("config.json");
        s.append("config ").append(Files.isRegularFile(config) ? Fingerprint.fileDigest(config) : "none");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList()) {
                s.append("; ").append(p.getFileName()).append(' ').append(Files.size(p)).append(" bytes");
            }
        }
        return s.toString();
    }

    /** Content digests of several files, in order. */
    static String files(List<Path> files) throws IOException {
        if (files == null || files.isEmpty()) return "none";
        StringBuilder s = new StringBuilder();
        for (Path f : files) s.append(s.length() == 0 ? "" : ", ").append(f.getFileName()).append(' ').append(Fingerprint.fileDigest(f));
        return s.toString();
    }

    /** An absolute, normalised path (for folders whose content is too large to hash, e.g. images). */
    static String path(Path p) {
        return p == null ? "none" : p.toAbsolutePath().normalize().toString();
    }
}
