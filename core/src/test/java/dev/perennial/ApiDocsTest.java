/*
 * The entry types a library user meets first carry a Javadoc (what the type is for, shapes and units) that states
 * whether it is thread-safe (issue 21 item 4). Read from the sources, since Javadoc is not in the class files; the
 * list grows as more public types get theirs.
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
    static final List<String> DOCUMENTED = List.of(
            "dev.perennial.clip.ClipModel",
            "dev.perennial.cluster.KMeans",
            "dev.perennial.data.ImageStore",
            "dev.perennial.data.LlavaJsonReader",
            "dev.perennial.data.SampleEncoder",
            "dev.perennial.data.SampleIndex",
            "dev.perennial.image.ClipImageProcessor",
            "dev.perennial.image.ImageDecoder",
            "dev.perennial.io.Fingerprint",
            "dev.perennial.io.OutputFolder",
            "dev.perennial.lifelong.LifelongRun",
            "dev.perennial.lifelong.RunPlan",
            "dev.perennial.llava.GenerationConfig",
            "dev.perennial.llava.Generator",
            "dev.perennial.llava.LlavaChat",
            "dev.perennial.llava.LlavaModel",
            "dev.perennial.nn.Lora",
            "dev.perennial.nn.LoraAdapter",
            "dev.perennial.nn.LoraConfig",
            "dev.perennial.prompt.PromptPool",
            "dev.perennial.prompt.PromptPoolState",
            "dev.perennial.prompt.PromptTaskTrainer",
            "dev.perennial.prompt.SelectionStats",
            "dev.perennial.select.DataPool",
            "dev.perennial.select.PoolScorer",
            "dev.perennial.tensor.Backend",
            "dev.perennial.tensor.CpuBackend",
            "dev.perennial.tensor.Tensor",
            "dev.perennial.tensor.TensorScope",
            "dev.perennial.text.ClipTokenizer",
            "dev.perennial.text.Tokenizer",
            "dev.perennial.train.TrainConfig",
            "dev.perennial.train.Trainer");

    private static final Pattern TYPE_DOC = Pattern.compile(
            "/\\*\\*((?:(?!\\*/).)*)\\*/\\s*(?:@[\\w.]+(?:\\([^)]*\\))?\\s*)*public\\s+(?:(?:final|abstract|sealed|non-sealed)\\s+)*"
                    + "(?:class|interface|record|enum)\\s+(\\w+)", Pattern.DOTALL);

    @Test
    void entryTypesSayWhatTheyAreAndWhetherTheyAreThreadSafe() throws IOException {
        List<String> missing = new ArrayList<>();
        for (String type : DOCUMENTED) {
            Path file = Path.of("src/main/java", type.replace('.', '/') + ".java");
            String simple = type.substring(type.lastIndexOf('.') + 1);
            Matcher m = TYPE_DOC.matcher(Files.readString(file));
            String doc = null;
            while (m.find()) if (m.group(2).equals(simple)) doc = m.group(1);
            if (doc == null) missing.add(type + ": no Javadoc on the type");
            else if (!doc.matches("(?s).*(?:[Tt]hread|[Ii]mmutable|[Ss]tateless).*")) missing.add(type + ": no thread-safety statement");
        }
        assertTrue(missing.isEmpty(), String.join("\n", missing));
    }
}
