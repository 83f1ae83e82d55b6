/*
 * Every document a comment cites is in the repository (docs/architecture.md, "Docs that live here"): the sources of
 * every module (Java, CUDA, C++ and POM files) are scanned for `docs/....md` paths, each must exist, and a cited
 * section must be a heading of that file — "§2.4" a heading numbered 2.4, a quoted title ("Tokenizer golden") a
 * heading with that title. A bare `name.md` that is not a project document (README.md, a run's report.md) fails too,
 * so a citation of a document that lives elsewhere cannot come back. Runs from core/, reading the whole checkout.
 */
package dev.perennial;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

class DocumentationReferencesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern CITATION = Pattern.compile(
            "(docs/[\\w/.-]+\\.md)(?:(?:[,:;]\\s*|\\s+)(?:§\\s?([0-9]+(?:\\.[0-9]+)?)|\"([^\"]{3,80})\"|Appendix ([A-Z])))?");
    private static final Pattern BARE = Pattern.compile("(?<![\\w/.-])([\\w-]+\\.md)\\b");
    /** Names that are not citations of project documents: outputs a command writes, and READMEs next to data. */
    private static final Set<String> NOT_DOCUMENTS = Set.of("README.md", "report.md");

    @Test
    void everyCitedDocumentAndSectionExists() throws IOException {
        assertTrue(Files.isDirectory(ROOT.resolve("docs")), "run from core/ inside a checkout: " + ROOT);
        List<String> problems = new ArrayList<>();
        int citations = 0;
        for (Path file : sources()) {
            if (file.endsWith("DocumentationReferencesTest.java")) continue;     // its comments show the syntax
            List<String> lines = Files.readAllLines(file);
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n), where = ROOT.relativize(file) + ":" + (n + 1);
                // a citation may continue on the next comment line ("docs/x.md\n * §2")
                String text = line + (n + 1 < lines.size() ? " " + lines.get(n + 1).replaceFirst("^\\s*(\\*|//|#)?\\s*", "") : "");
                Matcher m = CITATION.matcher(line);
                while (m.find()) {
                    citations++;
                    Path doc = ROOT.resolve(m.group(1));
                    if (!Files.isRegularFile(doc)) {
                        problems.add(where + ": " + m.group(1) + " does not exist");
                        continue;
                    }
                    Matcher full = CITATION.matcher(text);
                    if (!full.find(m.start())) continue;
                    String section = full.group(2), title = full.group(3), appendix = full.group(4);
                    List<String> headings = Files.readAllLines(doc).stream().filter(h -> h.startsWith("#")).toList();
                    if (section != null && headings.stream().noneMatch(h -> h.matches("#+\\s+" + Pattern.quote(section) + "[.\\s].*"))) {
                        problems.add(where + ": " + m.group(1) + " has no section " + section);
                    }
                    if (appendix != null && headings.stream().noneMatch(h -> h.matches("#+\\s+Appendix " + appendix + "\\b.*"))) {
                        problems.add(where + ": " + m.group(1) + " has no Appendix " + appendix);
                    }
                    if (title != null && headings.stream().noneMatch(h -> h.toLowerCase(Locale.ROOT).contains(title.toLowerCase(Locale.ROOT)))) {
                        problems.add(where + ": " + m.group(1) + " has no heading \"" + title + "\"");
                    }
                }
                Matcher bare = BARE.matcher(line.replaceAll("docs/[\\w/.-]+\\.md", "").replaceAll("[\\w/.-]+/README\\.md", ""));
                while (bare.find()) {
                    if (!NOT_DOCUMENTS.contains(bare.group(1))) problems.add(where + ": cites " + bare.group(1) + ", which is not a path in the repository");
                }
            }
        }
        assertTrue(citations > 100, "found only " + citations + " citations: is the scan reading the sources?");
        assertTrue(problems.isEmpty(), problems.size() + " broken citations:\n" + String.join("\n", problems));
    }

    private static List<Path> sources() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String module : List.of("core", "native", "cuda", "examples", "examples/bench-data", "benchmarks", "spark")) {
            Path src = ROOT.resolve(module).resolve("src");
            if (Files.isDirectory(src)) {
                try (Stream<Path> s = Files.walk(src)) {
                    s.filter(p -> p.toString().matches(".*\\.(java|cu|cuh|h|cpp)$")).forEach(out::add);
                }
            }
            Path pom = ROOT.resolve(module).resolve("pom.xml");
            if (Files.isRegularFile(pom)) out.add(pom);
        }
        out.add(ROOT.resolve("pom.xml"));
        return out;
    }
}
