/*
 * How the pool's rows are cut into Spark partitions. The pool is the LLaVA-JSON files' samples in file order (row
 * 0..N−1, as `perennial score` numbers them; well-formed JSON that is not a sample has no row). `perennial score`
 * projects the gradients of `group` consecutive rows together, starting at row 0 and crossing file boundaries, so a
 * partition here is a run of whole groups: every group is scored in one task exactly as score scores it, and a row's
 * vector does not depend on the partitioning. The driver counts each file's samples once (a streaming read); a
 * partition lists, per file it touches, how many samples to skip and how many to take.
 */
package dev.perennial.spark;

import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The cut of a pool into partitions of whole projection groups. */
final class PoolPartitions {
    private PoolPartitions() {}

    /** Samples {@code skip .. skip + take − 1} of {@code file}. */
    record Slice(String file, int skip, int take) implements Serializable {}

    /** Rows {@code firstRow ..} of the pool: the slices, in order. */
    record Part(int index, long firstRow, List<Slice> slices) implements Serializable {
        int rows() { return slices.stream().mapToInt(Slice::take).sum(); }
    }

    /** The number of samples (rows) of each file. */
    static long[] count(List<Path> files) throws IOException {
        long[] n = new long[files.size()];
        for (int f = 0; f < files.size(); f++) {
            try (LlavaJsonReader reader = LlavaJsonReader.open(files.get(f), InvalidSamples.SKIP)) {
                while (reader.read() != null) n[f]++;
            }
        }
        return n;
    }

    /**
     * Partitions of {@code groupsPerPart} groups of {@code group} rows (the last may be shorter).
     * @param counts samples per file (count())
     */
    static List<Part> cut(List<Path> files, long[] counts, int group, int groupsPerPart) {
        if (group < 1 || groupsPerPart < 1) throw new IllegalArgumentException("group and groups per partition must be positive");
        long total = 0;
        for (long c : counts) total += c;
        long size = (long) group * groupsPerPart;
        List<Part> parts = new ArrayList<>();
        for (long first = 0; first < total; first += size) {
            long last = Math.min(total, first + size);            // exclusive
            List<Slice> slices = new ArrayList<>();
            long fileStart = 0;
            for (int f = 0; f < files.size(); f++) {
                long fileEnd = fileStart + counts[f];
                long from = Math.max(first, fileStart), to = Math.min(last, fileEnd);
                if (from < to) slices.add(new Slice(files.get(f).toString(), (int) (from - fileStart), (int) (to - from)));
                fileStart = fileEnd;
            }
            parts.add(new Part(parts.size(), first, List.copyOf(slices)));
        }
        return parts;
    }
}
