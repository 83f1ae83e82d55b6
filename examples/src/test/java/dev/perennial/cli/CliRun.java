/*
 * Runs the `perennial` command line in process, through the same CommandLine as main(), capturing exit code,
 * stdout and stderr; shared by the subcommand tests. GOLDEN is core's golden test resources (Maven passes the
 * absolute path as perennial.golden; an IDE run from examples/ finds them relatively).
 */
package dev.perennial.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;

record CliRun(int exitCode, String out, String err) {
    static final Path GOLDEN = Path.of(System.getProperty("perennial.golden", "../core/src/test/resources/golden"));

    List<String> errLines() { return err.lines().toList(); }

    static CliRun run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        var cl = PerennialCommand.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
