/*
 * How every subcommand reports a failure: one line on stderr, "<command>: <what went wrong>", and exit code 1.
 * Stack traces only with --verbose. TensorFormatException messages already name the file and the defect;
 * for missing or unreadable files the JDK's terse messages (just a path) get a reason added.
 */
package dev.perennial.cli;

import dev.perennial.tensor.NativeMemory;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.function.BooleanSupplier;

final class FailureReporter implements IExecutionExceptionHandler {
    static final int EXIT_FAILURE = 1;

    private final BooleanSupplier verbose;

    FailureReporter(BooleanSupplier verbose) {
        this.verbose = verbose;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        if (verbose.getAsBoolean()) ex.printStackTrace(err);
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + describe(ex).replaceAll("\\p{Cntrl}+", " "));
        err.flush();
        return EXIT_FAILURE;
    }

    /**
     * An OutOfMemoryError as one line: tensor memory (NativeMemory's message names the allocation, the cap and how to
     * raise it) or the Java heap (its maximum and -Xmx).
     */
    static int outOfMemory(OutOfMemoryError e, ParseResult parsed, boolean verbose) {
        CommandLine cmd = parsed.subcommand() != null ? parsed.subcommand().commandSpec().commandLine() : parsed.commandSpec().commandLine();
        PrintWriter err = cmd.getErr();
        if (verbose) e.printStackTrace(err);
        String msg = e instanceof NativeMemory.ExhaustedError ? e.getMessage()
                : String.format(java.util.Locale.ROOT, "out of memory (%s); the Java heap may grow to %.1f GB: raise it with java -Xmx<size> -jar ..., "
                        + "or use a smaller batch or model", e.getMessage(), Runtime.getRuntime().maxMemory() / (double) (1L << 30));
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + msg.replaceAll("\\p{Cntrl}+", " "));
        err.flush();
        return EXIT_FAILURE;
    }

    static String describe(Exception ex) {
        if (ex instanceof FileSystemException fs && fs.getReason() == null) {
            String what = ex instanceof NoSuchFileException ? "no such file or folder"
                    : ex instanceof AccessDeniedException ? "permission denied" : ex.getClass().getSimpleName();
            return fs.getFile() + ": " + what;
        }
        return ex.getMessage() == null ? ex.toString() : ex.getMessage();
    }
}
