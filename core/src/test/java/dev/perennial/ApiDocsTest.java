/*
 * The entry types a library user meets first carry a Javadoc (what the type is for, shapes and units) that states
 * whether it is thread-safe (issue 21 item 4): every public top-level type of perennial-core. Read from the sources,
 * since Javadoc is not in the class files.
 */
package dev.perennial;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ApiDocsTest {
    private static final Path SOURCES = Path.of("src/main/java");

    private static final Pattern TYPE_DOC = Pattern.compile(
            "/\\*\\*((?:(?!\\*/).)*)\\*/\\s*(?:@[\\w.]+(?:\\([^)]*\\))?\\s*)*public\\s+(?:(?:final|abstract|sealed|non-sealed)\\s+)*"
                    + "(?:class|interface|record|enum)\\s+(\\w+)", Pattern.DOTALL);
    private static final Pattern PUBLIC_TYPE = Pattern.compile(
            "^public\\s+(?:(?:final|abstract|sealed|non-sealed)\\s+)*(?:class|interface|record|enum|@interface)\\s+(\\w+)", Pattern.MULTILINE);

    /** Every public top-level type of perennial-core. */
    static List<Path> publicTypes() throws IOException {
        try (var files = Files.walk(SOURCES)) {
            List<Path> out = new ArrayList<>();
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                if (PUBLIC_TYPE.matcher(Files.readString(f)).find()) out.add(f);
            }
            return out;
        }
    }

    @Test
    void everyPublicTypeSaysWhatItIsAndWhetherItIsThreadSafe() throws IOException {
        List<Path> types = publicTypes();
        assertTrue(types.size() > 150, "the scan found the core's public types: " + types.size());
        List<String> missing = new ArrayList<>();
        for (Path file : types) {
            String source = Files.readString(file);
            Matcher top = PUBLIC_TYPE.matcher(source);
            top.find();
            String simple = top.group(1);
            Matcher m = TYPE_DOC.matcher(source);
            String doc = null;
            while (m.find()) if (m.group(2).equals(simple)) doc = m.group(1);
            if (doc == null) missing.add(file + ": no Javadoc on " + simple);
            else if (!doc.matches("(?s).*(?:[Tt]hread|[Ii]mmutable|[Ss]tateless).*")) missing.add(file + ": no thread-safety statement");
        }
        assertTrue(missing.isEmpty(), missing.size() + " public types lack their Javadoc:\n" + String.join("\n", missing));
    }
}
