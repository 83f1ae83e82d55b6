/*
 * Every option and positional parameter of every `perennial` command has a description, so `--help` explains each
 * one (reliability issue, item 7).
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

class OptionDescriptionsTest {
    @Test
    void everyOptionOfEveryCommandIsDescribed() {
        List<String> bare = new ArrayList<>();
        CommandLine root = PerennialCommand.commandLine();
        List<CommandLine> commands = new ArrayList<>(List.of(root));
        commands.addAll(root.getSubcommands().values());
        assertTrue(commands.size() > 15, "all commands are found: " + commands.size());
        for (CommandLine c : commands) {
            CommandSpec spec = c.getCommandSpec();
            List<ArgSpec> args = new ArrayList<>(spec.options());
            args.addAll(spec.positionalParameters());
            for (ArgSpec a : args) {
                String text = String.join(" ", a.description()).strip();
                if (text.isEmpty()) bare.add(spec.qualifiedName() + " " + (a.isOption() ? ((CommandLine.Model.OptionSpec) a).longestName() : a.paramLabel()));
            }
        }
        assertTrue(bare.isEmpty(), bare.size() + " options without a description:\n" + String.join("\n", bare));
    }
}
