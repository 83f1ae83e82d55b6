/*
 * The accuracy matrix of a lifelong run (docs/methods/modalprompt.md §10.5): A[j][i] = accuracy (a fraction in [0, 1]) on task i
 * after training step j. Each step appends a row; entries i <= j are required (every task seen so far is
 * evaluated), entries i > j (tasks not trained yet, for forward transfer) are optional (NaN when not evaluated).
 * Written as accuracy_matrix.csv: a header "after,<task 1>,...,<task T>", then one line per step "<task j>,a,..."
 * with an empty field for a missing entry; written atomically.
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
 * task. {@code writeCsv} and {@code readCsv} store it as {@code accuracy_matrix.csv}, written atomically.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its rows are an unsynchronized,
 * growing {@code ArrayList}.
 */
public final class AccuracyMatrix {
    private final List<String> tasks;
    private final List<double[]> rows = new ArrayList<>();

    /** An empty matrix over the run's tasks, in training order. */
    public AccuracyMatrix(List<String> tasks) {
        if (tasks.isEmpty() || tasks.stream().distinct().count() != tasks.size()) throw new IllegalArgumentException("task names must be distinct and not empty");
        for (String t : tasks) if (t.contains(",") || t.contains("\n")) throw new IllegalArgumentException("a task name cannot hold ',' or a newline: " + t);
        this.tasks = List.copyOf(tasks);
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
        for (int j = 0; j < rows.size(); j++) {
            sb.append(tasks.get(j));
            for (double a : rows.get(j)) sb.append(',').append(Double.isNaN(a) ? "" : String.format(Locale.ROOT, "%.6f", a));
            sb.append('\n');
        }
        AtomicFiles.write(file, sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a file writeCsv wrote; IOException naming the line for anything else. */
    public static AccuracyMatrix readCsv(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).startsWith("after,")) throw new IOException(file + ": no \"after,<tasks>\" header");
        AccuracyMatrix m = new AccuracyMatrix(Arrays.asList(lines.get(0).substring(6).split(",", -1)));
        for (int l = 1; l < lines.size(); l++) {
            if (lines.get(l).isEmpty()) continue;
            String[] f = lines.get(l).split(",", -1);
            if (f.length != m.tasks.size() + 1 || !f[0].equals(m.tasks.get(m.steps()))) {
                throw new IOException(file + ": line " + (l + 1) + " is not the row after task " + (m.steps() < m.tasks.size() ? m.tasks.get(m.steps()) : "(none left)"));
            }
            double[] row = new double[m.tasks.size()];
            try {
                for (int i = 0; i < row.length; i++) row[i] = f[i + 1].isEmpty() ? Double.NaN : Double.parseDouble(f[i + 1]);
                m.addRow(row);
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": line " + (l + 1) + ": " + e.getMessage(), e);
            }
        }
        return m;
    }
}
