/*
 * How a Perennial command fares on a shared machine (docs/performance.md, "Shared machines"): runs the same
 * command-line job alone and then beside N busy processes that this report starts itself (`sh -c 'while :; do :;
 * done'`, N = available processors by default), several times each, and prints the medians and the slowdown. With
 * both cores of a 2-core machine kept busy by others, a fair share of the CPU is half of it, so a well-behaved job
 * takes about 2× as long; thread pools that spin or split work statically do much worse.
 *
 * A job's rate is read from its output when it prints one ("... 12.3 samples/s" or "... tokens/s"), else it is the
 * inverse of its wall time. Usage:
 *   java -cp benchmarks.jar dev.perennial.bench.SharedMachineReport [--busy N] [--repeat R] -- java -jar perennial.jar score ...
 */
package dev.perennial.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class SharedMachineReport {
    private static final Pattern RATE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?) (samples|tokens|positions)/s");

    private SharedMachineReport() {}

    public static void main(String[] args) throws Exception {
        int busy = Runtime.getRuntime().availableProcessors(), repeat = 3, i = 0;
        for (; i < args.length && !args[i].equals("--"); i++) {
            switch (args[i]) {
                case "--busy" -> busy = Integer.parseInt(args[++i]);
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + " (--busy N, --repeat R, then -- and the command)");
            }
        }
        List<String> command = Arrays.asList(args).subList(Math.min(i + 1, args.length), args.length);
        if (command.isEmpty()) throw new IllegalArgumentException("give the command after --");
        double[] alone = measure(command, repeat, 0), shared = measure(command, repeat, busy);
        double a = median(alone), s = median(shared);
        System.out.printf(Locale.ROOT, "%nalone: %s per second (median of %d: %s)%n", fmt(a), repeat, Arrays.toString(alone));
        System.out.printf(Locale.ROOT, "beside %d busy processes: %s per second (median of %d: %s)%n", busy, fmt(s), repeat, Arrays.toString(shared));
        System.out.printf(Locale.ROOT, "slowdown %.2fx (a fair share of %d cores beside %d busy processes: %.2fx)%n", a / s,
                Runtime.getRuntime().availableProcessors(), busy, (Runtime.getRuntime().availableProcessors() + busy) / (double) Runtime.getRuntime().availableProcessors());
    }

    /** Runs the command repeat times with {@code busy} spinning processes alive; returns the rates. */
    private static double[] measure(List<String> command, int repeat, int busy) throws Exception {
        List<Process> spinners = new ArrayList<>();
        try {
            for (int b = 0; b < busy; b++) spinners.add(new ProcessBuilder("sh", "-c", "while :; do :; done").start());
            double[] rates = new double[repeat];
            for (int r = 0; r < repeat; r++) rates[r] = run(command);
            return rates;
        } finally {
            for (Process p : spinners) p.destroyForcibly();
            for (Process p : spinners) p.waitFor();
        }
    }

    private static double run(List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = p.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (code != 0) throw new IllegalStateException("the command failed (exit " + code + "):\n" + out);
        Matcher m = RATE.matcher(out);
        double rate = -1;
        while (m.find()) rate = Double.parseDouble(m.group(1));               // the last rate printed (the summary)
        return rate > 0 ? rate : 1 / seconds;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
