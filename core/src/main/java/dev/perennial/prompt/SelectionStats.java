/*
 * Which pool entries were selected, counted: per group (at evaluation the dataset or true task
 * being evaluated; in training the task being trained) a histogram over entries of how often each was selected,
 * and how often it was the most similar (the last of a top-k selection). Collapse onto a few prompts, L2P's known
 * failure, shows as a histogram concentrated on one or two entries: share() of the top entry near 1 and a low
 * normalised entropy. Written into run reports as JSON (report()) and logged as one line per group.
 */
package dev.perennial.prompt;


import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Counts which prompt-pool entries were selected, per group (the task being trained, or the dataset being evaluated):
 * how often each entry was selected and how often it came last (most similar); {@code share} (a fraction in [0, 1])
 * and {@code normalisedEntropy} (0 = collapsed onto one entry, 1 = uniform) summarise a group, and {@code report}
 * returns the counts as JSON-ready maps.
 * <p>Thread-safe: every public method is synchronized, and the maps and arrays it returns are copies.
 */
public final class SelectionStats {
    private final List<String> entryNames;
    private final Map<String, long[]> selected = new LinkedHashMap<>(), top = new LinkedHashMap<>();
    private final Map<String, Long> samples = new LinkedHashMap<>();

    /** @param entryNames the pool's entry names, by index */
    public SelectionStats(List<String> entryNames) {
        this.entryNames = List.copyOf(entryNames);
    }

    /** Counts one batch's selection under {@code group} (null: "all"). */
    public synchronized void add(PromptSelection sel, String group) {
        String g = group == null ? "all" : group;
        long[] s = selected.computeIfAbsent(g, x -> new long[entryNames.size()]);
        long[] t = top.computeIfAbsent(g, x -> new long[entryNames.size()]);
        for (int[] e : sel.entries()) {
            for (int i : e) s[i]++;
            if (e.length > 0) t[e[e.length - 1]]++;
        }
        samples.merge(g, (long) sel.batch(), Long::sum);
    }

    /** Per group, how often each entry was selected. */
    public synchronized Map<String, long[]> selected() {
        Map<String, long[]> m = new LinkedHashMap<>();
        selected.forEach((k, v) -> m.put(k, v.clone()));
        return m;
    }

    /** Per group, how often each entry was the last (most similar, or the forced current) selection. */
    public synchronized Map<String, long[]> top() {
        Map<String, long[]> m = new LinkedHashMap<>();
        top.forEach((k, v) -> m.put(k, v.clone()));
        return m;
    }

    /** The fraction of a group's samples whose last selected entry is {@code entry}. */
    public synchronized double share(String group, int entry) {
        long n = samples.getOrDefault(group, 0L);
        return n == 0 ? 0 : (double) top.get(group)[entry] / n;
    }

    /** Entropy of a group's top-entry histogram divided by log(number of entries): 0 = collapsed, 1 = uniform. */
    public synchronized double normalisedEntropy(String group) {
        long[] t = top.get(group);
        long n = samples.getOrDefault(group, 0L);
        if (t == null || n == 0 || t.length < 2) return 0;
        double h = 0;
        for (long c : t) if (c > 0) h -= (double) c / n * Math.log((double) c / n);
        return h / Math.log(t.length);
    }

    /**
     * The counts as plain JSON-ready values: {"entries": [...], "groups": {group: {"samples", "selected": {entry: n},
     * "top": {entry: n}, "top_entry", "top_share", "normalised_entropy"}}} as LinkedHashMaps, Lists, Strings and numbers
     * (any JSON library writes it as is). A snapshot: later counts do not change it.
     */
    public synchronized Map<String, Object> report() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("entries", List.copyOf(entryNames));
        Map<String, Object> groups = new LinkedHashMap<>();
        for (String g : selected.keySet()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("samples", samples.get(g));
            Map<String, Long> s = new LinkedHashMap<>(), t = new LinkedHashMap<>();
            int best = 0;
            for (int i = 0; i < entryNames.size(); i++) {
                s.put(entryNames.get(i), selected.get(g)[i]);
                t.put(entryNames.get(i), top.get(g)[i]);
                if (top.get(g)[i] > top.get(g)[best]) best = i;
            }
            o.put("selected", s);
            o.put("top", t);
            o.put("top_entry", entryNames.isEmpty() ? null : entryNames.get(best));
            o.put("top_share", entryNames.isEmpty() ? 0.0 : share(g, best));
            o.put("normalised_entropy", normalisedEntropy(g));
            groups.put(g, o);
        }
        root.put("groups", groups);
        return root;
    }

    /**
     * Replaces every count with those of a report() of the same entries, as written or as read back from JSON (numbers
     * of any Number type; a resumed training run continues them). Null clears the counts.
     */
    public synchronized void restore(Map<String, ?> report) {
        selected.clear();
        top.clear();
        samples.clear();
        if (report == null || !(report.get("groups") instanceof Map<?, ?> groups)) return;
        for (var g : groups.entrySet()) {
            Map<?, ?> o = g.getValue() instanceof Map<?, ?> m ? m : Map.of();
            long[] s = new long[entryNames.size()], t = new long[entryNames.size()];
            for (int i = 0; i < entryNames.size(); i++) {
                s[i] = count(o.get("selected"), entryNames.get(i));
                t[i] = count(o.get("top"), entryNames.get(i));
            }
            String name = String.valueOf(g.getKey());
            selected.put(name, s);
            top.put(name, t);
            samples.put(name, o.get("samples") instanceof Number n ? n.longValue() : 0L);
        }
    }

    private static long count(Object histogram, String entry) {
        return histogram instanceof Map<?, ?> h && h.get(entry) instanceof Number n ? n.longValue() : 0L;
    }

    /** One line per group: "group: n samples, prompt placed last: X for 93% {a=.., b=..}" (last = most similar; the current task in training). */
    public synchronized String summary() {
        StringBuilder sb = new StringBuilder();
        for (String g : top.keySet()) {
            long[] t = top.get(g);
            int best = 0;
            for (int i = 0; i < t.length; i++) if (t[i] > t[best]) best = i;
            StringBuilder h = new StringBuilder();
            for (int i = 0; i < t.length; i++) h.append(i == 0 ? "" : ", ").append(entryNames.get(i)).append('=').append(t[i]);
            sb.append(String.format(Locale.ROOT, "%s: %d samples, prompt placed last: %s for %.0f%% {%s}%n", g, samples.get(g),
                    t.length == 0 ? "-" : entryNames.get(best), 100 * (t.length == 0 ? 0 : share(g, best)), h));
        }
        return sb.toString();
    }
}
