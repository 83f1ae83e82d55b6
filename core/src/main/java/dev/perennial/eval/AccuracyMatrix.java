/*
 * The accuracy matrix of a lifelong run (docs/methods/modalprompt.md §10.5): A[j][i] = accuracy (a fraction in [0, 1]) on task i
 * after training step j. Each step appends a row; entries i <= j are required (every task seen so far is
 * evaluated), entries i > j (tasks not trained yet, for forward transfer) are optional (NaN when not evaluated).
 * Before step 0 comes the zero-shot row b: the base model's accuracy on every task before any training (every
 * entry required), the b̄_j of forward transfer (docs/methods/adapt-inf.md §8.2); a matrix may lack it (files
 * written before it existed).
 * Written as accuracy_matrix.csv: a header "after,<task 1>,...,<task T>", then the zero-shot row "zero-shot,b,..."
 * when there is one, then one line per step "<task j>,a,..." with an empty field for a missing entry; written
 * atomically. "zero-shot" is therefore not a task name.
 */
package dev.perennial.eval;

import dev.perennial.io.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The accuracy matrix of a lifelong run: {@code get(j, i)} is the accuracy on task i after training step j, a fraction
 * in [0, 1] (NaN where a later task was not evaluated), and {@code addRow} appends the next step's row, one entry per
 * task; {@code zeroShot()} is the base model's row before any training, when recorded. {@code writeCsv} and {@code readCsv} store it as {@code accuracy_matrix.csv}, written atomically.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its rows are an unsynchronized,
 * growing {@code ArrayList}.
 */
public final class AccuracyMatrix {
    /** The label of the zero-shot row in accuracy_matrix.csv (and so not a task name). */
    public static final String ZERO_SHOT = "zero-shot";

    private final List<String> tasks;
    private final List<double[]> rows = new ArrayList<>();
    private double[] zeroShot;                                   // (tasks) or null

    /** An empty matrix over the run's tasks, in training order. */
    public AccuracyMatrix(List<String> tasks) {
        if (tasks.isEmpty() || tasks.stream().distinct().count() != tasks.size()) throw new IllegalArgumentException("task names must be distinct and not empty");
        for (String t : tasks) if (t.contains(",") || t.contains("\n")) throw new IllegalArgumentException("a task name cannot hold ',' or a newline: " + t);
        if (tasks.contains(ZERO_SHOT)) throw new IllegalArgumentException("a task cannot be named '" + ZERO_SHOT + "': it labels the base model's row");
        this.tasks = List.copyOf(tasks);
    }

    /** The base model's accuracy on every task before any training (a copy), or null when not recorded. */
    public double[] zeroShot() { return zeroShot == null ? null : zeroShot.clone(); }

    /** Sets the zero-shot row: one accuracy in [0, 1] per task, every task evaluated. */
    public void setZeroShot(double[] accuracies) {
        if (accuracies.length != tasks.size()) throw new IllegalArgumentException(accuracies.length + " zero-shot accuracies for " + tasks.size() + " tasks");
        for (int i = 0; i < accuracies.length; i++) {
            if (!(accuracies[i] >= 0 && accuracies[i] <= 1)) {
                throw new IllegalArgumentException("zero-shot, task " + tasks.get(i) + ": accuracy " + accuracies[i] + " is not a fraction in [0, 1]");
            }
        }
        zeroShot = accuracies.clone();
    }

    public List<String> tasks() { return tasks; }

    /** Steps recorded so far. */
    public int steps() { return rows.size(); }

    /** A[j][i] (NaN if not evaluated). */
    public double get(int step, int task) { return rows.get(step)[task]; }

    /** A copy of row j. */
    public double[] row(int step) { return rows.get(step).clone(); }

    /**
     * Appends the accuracies after the next step j = steps(): one per task, entries 0..j finite in [0, 1], later
     * ones in [0, 1] or NaN.
     */
    public void addRow(double[] accuracies) {
        int j = rows.size();
        if (j >= tasks.size()) throw new IllegalStateException("all " + tasks.size() + " steps are recorded");
        if (accuracies.length != tasks.size()) throw new IllegalArgumentException(accuracies.length + " accuracies for " + tasks.size() + " tasks");
        for (int i = 0; i < accuracies.length; i++) {
            double a = accuracies[i];
            if (Double.isNaN(a) && i > j) continue;
            if (!(a >= 0 && a <= 1)) {
                throw new IllegalArgumentException("step " + j + ", task " + tasks.get(i) + ": accuracy " + a + " is not a fraction in [0, 1]"
                        + (Double.isNaN(a) ? " (tasks trained so far must be evaluated)" : ""));
            }
        }
        rows.add(accuracies.clone());
    }

    /** Writes accuracy_matrix.csv (see the class comment). */
    public void writeCsv(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("after,").append(String.join(",", tasks)).append('\n');
        if (zeroShot != null) line(sb, ZERO_SHOT, zeroShot);
        for (int j = 0; j < rows.size(); j++) line(sb, tasks.get(j), rows.get(j));
        AtomicFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** One line of the CSV: the label, then each accuracy with 6 decimals (empty when not evaluated). */
    public static void line(StringBuilder sb, String label, double[] row) {
        sb.append(label);
        for (double a : row) sb.append(',').append(Double.isNaN(a) ? "" : String.format(Locale.ROOT, "%.6f", a));
        sb.append('\n');
    }

    /** Reads a file writeCsv wrote; IOException naming the line for anything else. */
    public static AccuracyMatrix readCsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).startsWith("after,")) throw new IOException(file + ": no \"after,<tasks>\" header");
        AccuracyMatrix m = new AccuracyMatrix(Arrays.asList(lines.get(0).substring(6).split(",", -1)));
        boolean first = true;
        for (int l = 1; l < lines.size(); l++) {
            if (lines.get(l).isEmpty()) continue;
            String[] f = lines.get(l).split(",", -1);
            boolean zero = first && f[0].equals(ZERO_SHOT);
            first = false;
            if (f.length != m.tasks.size() + 1 || !(zero || f[0].equals(m.steps() < m.tasks.size() ? m.tasks.get(m.steps()) : null))) {
                throw new IOException(file + ": line " + (l + 1) + " is not the " + (l == 1 ? "zero-shot row or the " : "") + "row after task "
                        + (m.steps() < m.tasks.size() ? m.tasks.get(m.steps()) : "(none left)"));
            }
            double[] row = new double[m.tasks.size()];
            try {
                for (int i = 0; i < row.length; i++) row[i] = f[i + 1].isEmpty() ? Double.NaN : Double.parseDouble(f[i + 1]);
                if (zero) m.setZeroShot(row); else m.addRow(row);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": line " + (l + 1) + ": " + e.getMessage(), e);
            }
        }
        return m;
    }
}
