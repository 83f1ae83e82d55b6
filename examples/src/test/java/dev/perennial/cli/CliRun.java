/*
 * Runs the `perennial` command line in process, through the same CommandLine as main(), capturing stdout,
 * stderr and the exit code; and where core's golden test resources are (system property perennial.golden,
 * set by Maven; an IDE run from examples/ finds them too). Shared by the subcommand tests. child() runs a main in
 * a fresh JVM instead, for what a JVM fixes once at start (the native memory cap, the log) or for a second process.
 */
package dev.perennial.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

record CliRun(int exitCode, String out, String err) {
    /** core's golden test resources. */
    static final Path GOLDEN = Path.of(System.getProperty("perennial.golden", "../core/src/test/resources/golden"));

    /** `java JVM_OPTIONS -cp <this test class path> MAIN ARGS` with this JVM's java. */
    static List<String> javaCommand(List<String> jvmOptions, Class<?> main, List<String> args) {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")), main.getName()));
        cmd.addAll(args);
        return cmd;
    }

    /** Runs MAIN ARGS in a child JVM (environment {@code env} added, PERENNIAL_MAX_MEMORY removed unless given) to its end. */
    static CliRun child(List<String> jvmOptions, java.util.Map<String, String> env, Class<?> main, String... args)
            throws java.io.IOException, InterruptedException {
        Path out = java.nio.file.Files.createTempFile("child", ".out"), err = java.nio.file.Files.createTempFile("child", ".err");
        ProcessBuilder pb = new ProcessBuilder(javaCommand(jvmOptions, main, List.of(args))).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().remove("PERENNIAL_MAX_MEMORY");
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) throw new AssertionError("the child JVM did not end within 120 s: " + args[0]);
            return new CliRun(p.exitValue(), java.nio.file.Files.readString(out), java.nio.file.Files.readString(err));
        } finally {
            p.destroyForcibly();
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    static CliRun run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = PerennialCommand.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    List<String> errLines() { return err.lines().toList(); }
}
