/*
 * What a run's result depends on, as named entries ("epochs" -> "3", "data" -> "sha256:… (1,204 bytes)"), kept in
 * insertion order. A run stores its fingerprint next to its state (OutputFolder's manifest, every training
 * checkpoint, a scoring run's progress file) and a run that would continue that state compares the two first: a
 * mismatch is refused with the entries that differ named, instead of silently resuming something else
 * (docs/architecture.md, "Output folders and resume").
 *
 * Files enter by content (SHA-256), not by path, so a moved but unchanged data file still resumes and an edited
 * one does not. Nested JSON (a run file) enters flattened, one entry per leaf ("strategies.adapt-inf.budget"), so
 * the message names the very key that changed.
 */
package dev.perennial.io;


import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a run's result depends on, as named text entries in insertion order (settings, and files by content, e.g.
 * {@code sha256:<16 hex digits> (<size> bytes)}); a run stores it with its state and refuses to continue state whose
 * fingerprint differs, naming the entries that differ. Build one with {@link #builder()}.
 * <p>Immutable; safe to share between threads (its entries are an unmodifiable copy of a string-to-string map). Its
 * {@code Builder} is mutable and not thread-safe.
 */
public final class Fingerprint {
    private final Map<String, String> entries;

    private Fingerprint(Map<String, String> entries) {
        this.entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    public static Builder builder() { return new Builder(); }

    /** The entries, in the order they were added. */
    public Map<String, String> entries() { return entries; }

    /**
     * The entries that differ from {@code stored}, one phrase each: "epochs: 3 before, 5 now", "lora-rank: only
     * before (8)", "seed: only now (1)". Empty when the two agree.
     */
    public List<String> differences(Fingerprint stored) {
        List<String> out = new ArrayList<>();
        for (String k : orderedKeys(stored)) {
            String before = stored.entries.get(k), now = entries.get(k);
            if (Objects.equals(before, now)) continue;
            if (before == null) out.add(k + ": only now (" + now + ")");
            else if (now == null) out.add(k + ": only before (" + before + ")");
            else out.add(k + ": " + before + " before, " + now + " now");
        }
        return out;
    }

    /** differences() as one sentence fragment, at most {@code limit} entries named. */
    public String describeDifferences(Fingerprint stored, int limit) {
        List<String> d = differences(stored);
        if (d.size() <= limit) return String.join("; ", d);
        return String.join("; ", d.subList(0, limit)) + "; and " + (d.size() - limit) + " more";
    }

    private List<String> orderedKeys(Fingerprint stored) {
        List<String> keys = new ArrayList<>(entries.keySet());
        for (String k : stored.entries.keySet()) if (!entries.containsKey(k)) keys.add(k);
        return keys;
    }

    /**
     * The fingerprint of stored entries, e.g. a JSON object read back as a map; values become their text, and a null
     * or empty map gives an empty fingerprint.
     */
    public static Fingerprint of(Map<?, ?> entries) {
        Map<String, String> m = new LinkedHashMap<>();
        if (entries != null) entries.forEach((k, v) -> m.put(String.valueOf(k), String.valueOf(v)));
        return new Fingerprint(m);
    }

    @Override public boolean equals(Object o) { return o instanceof Fingerprint f && f.entries.equals(entries); }
    @Override public int hashCode() { return entries.hashCode(); }
    @Override public String toString() { return entries.toString(); }

    /** "sha256:&lt;first 16 hex digits> (&lt;size> bytes)" of a file's content. */
    public static String fileDigest(Path file) throws IOException {
        MessageDigest md = sha256();
        long size = 0;
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; size += n) md.update(buf, 0, n);
        }
        return "sha256:" + HexFormat.of().formatHex(md.digest(), 0, 8) + " (" + size + " bytes)";
    }

    /** A fresh SHA-256 digest (every JDK has it). */
    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks SHA-256", e);
        }
    }

    /** Adds a tensor's values, as little-endian float32 in row-major order, to a digest (trainable values, adapters). */
    public static void update(MessageDigest md, dev.perennial.tensor.Tensor t) {
        float[] v = t.toFloatArray();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        md.update(b);
    }

    /** "sha256:&lt;first 16 hex digits>" of a finished digest. */
    public static String hex(MessageDigest md) {
        return "sha256:" + HexFormat.of().formatHex(md.digest(), 0, 8);
    }

    public static final class Builder {
        private final Map<String, String> entries = new LinkedHashMap<>();

        /** Adds (or replaces) an entry; null values are written as "none". */
        public Builder put(String key, Object value) {
            entries.put(key, value == null ? "none" : String.valueOf(value));
            return this;
        }

        /** Adds a file's content digest, or "none" for a null path. */
        public Builder putFile(String key, Path file) throws IOException {
            return put(key, file == null ? null : fileDigest(file));
        }

        /**
         * Adds every leaf of a JSON value in its Java form (Maps, Lists, Strings, numbers, booleans, null: what a JSON
         * library reads into Object) under {@code prefix}, named "a.b[2].c".
         */
        public Builder putTree(String prefix, Object value) {
            if (value instanceof Map<?, ?> m) {
                m.forEach((k, v) -> putTree(prefix.isEmpty() ? String.valueOf(k) : prefix + "." + k, v));
            } else if (value instanceof List<?> l) {
                for (int i = 0; i < l.size(); i++) putTree(prefix + "[" + i + "]", l.get(i));
            } else {
                entries.put(prefix, String.valueOf(value));
            }
            return this;
        }

        /** Adds every entry of another fingerprint under {@code prefix.}. */
        public Builder putAll(String prefix, Fingerprint other) {
            other.entries.forEach((k, v) -> entries.put(prefix.isEmpty() ? k : prefix + "." + k, v));
            return this;
        }

        public Fingerprint build() { return new Fingerprint(entries); }
    }
}
