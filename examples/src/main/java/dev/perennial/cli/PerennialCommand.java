/*
 * The `perennial` command line: the top-level picocli command and the program entry point.
 *
 * Each subcommand is its own class registered in @Command(subcommands = ...). All of them share how
 * failures are shown (FailureReporter): one line on stderr and exit code 1, with the stack trace only under
 * --verbose, which is accepted before or after the subcommand name. Usage errors exit with 2 (picocli's
 * default). Running out of memory, native or heap, is one line too (FailureReporter.outOfMemory). commandLine() builds the configured CommandLine for main() and for in-process tests alike.
 */
package dev.perennial.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

@Command(name = "perennial",
        mixinStandardHelpOptions = true,
        versionProvider = PerennialCommand.Version.class,
        description = "Lifelong multimodal instruction tuning on a LLaVA-compatible core.",
        subcommands = {InspectCommand.class, ForwardCommand.class, GenerateCommand.class, BenchCommand.class,
                PreprocessCommand.class, TokenizeCommand.class, ChatCommand.class, TrainCommand.class, ScoreCommand.class,
                SelectCommand.class, EncodeTextCommand.class, EncodeImageCommand.class, PromptTrainCommand.class, PromptEvalCommand.class,
                RunCommand.class, DemoCommand.class, SynthCommand.class,
                CommandLine.HelpCommand.class})
public final class PerennialCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces of errors.")
    boolean verbose;

    /** Without a subcommand there is nothing to do: a usage error. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing subcommand");
    }

    /** The configured command line (error reporting included). */
    public static CommandLine commandLine() {
        PerennialCommand root = new PerennialCommand();
        CommandLine cl = new CommandLine(root);
        cl.setExecutionExceptionHandler(new FailureReporter(() -> root.verbose));
        // picocli hands only Exceptions to the handler; running out of memory is an Error and gets the same one line
        cl.setExecutionStrategy(parsed -> {
            try {
                return new CommandLine.RunLast().execute(parsed);
            } catch (OutOfMemoryError e) {
                return FailureReporter.outOfMemory(e, parsed, root.verbose);
            }
        });
        return cl;
    }

    public static void main(String[] args) {
        dev.perennial.tensor.NativeMemory.configure();       // the memory cap, before anything initialises JavaCPP
        System.exit(commandLine().execute(args));
    }

    /** The version from the jar manifest (Implementation-Version), or a marker when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PerennialCommand.class.getPackage().getImplementationVersion();
            return new String[]{"perennial " + (v == null ? "(development build)" : v)};
        }
    }
}
