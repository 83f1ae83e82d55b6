/*
 * Runs the `perennial` command line in process, through the same CommandLine as main(), capturing stdout,
 * stderr and the exit code; and where core's golden test resources are (system property perennial.golden,
 * set by Maven; an IDE run from examples/ finds them too). Shared by the subcommand tests.
 */
package dev.perennial.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

record CliRun(int exitCode, String out, String err) {
    /** core's golden test resources. */
    static final Path GOLDEN = Path.of(System.getProperty("perennial.golden", "../core/src/test/resources/golden"));

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
