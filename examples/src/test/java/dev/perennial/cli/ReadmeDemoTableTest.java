/*
 * README's demo table is the summary table of the recorded demo run in docs/results/demo (written by
 * scripts/record-demo from the run's own report.md), so no number in it is typed by hand or left stale: editing one
 * without the other fails here. The recorded run names its commit, date and command.
 */
package dev.perennial.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ReadmeDemoTableTest {
    static final Path ROOT = Path.of("..");

    /** The lines of the first markdown table (from its "| strategy |" header to the first blank line). */
    static List<String> firstTable(List<String> lines) {
        List<String> table = new ArrayList<>();
        for (String l : lines) {
            if (table.isEmpty() && !l.startsWith("| strategy |")) continue;
            if (l.isBlank()) break;
            table.add(l);
        }
        return table;
    }

    @Test
    void readmesDemoTableIsTheRecordedRunsSummary() throws IOException {
        List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
        int begin = readme.indexOf("<!-- demo-table:begin -->"), end = readme.indexOf("<!-- demo-table:end -->");
        assertTrue(begin >= 0 && end > begin, "README.md has the demo-table markers in order");
        List<String> shown = firstTable(readme.subList(begin + 1, end));
        List<String> recorded = firstTable(Files.readAllLines(ROOT.resolve("docs/results/demo/report.md")));
        assertTrue(recorded.size() >= 3, "the recorded report has a summary table with rows");
        assertEquals(recorded, shown, "README's table differs from docs/results/demo/report.md: run scripts/record-demo");
        String run = Files.readString(ROOT.resolve("docs/results/demo/RUN.md"));
        for (String field : new String[]{"* commit: ", "* date: ", "* command: `java -jar examples/target/perennial.jar demo"}) {
            assertTrue(run.contains(field), "docs/results/demo/RUN.md names " + field.trim());
        }
    }
}
