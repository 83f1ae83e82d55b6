/*
 * Test fixture of the Spark tests: a small pool on the tiny golden LLaVA checkpoint (the one `perennial score`'s
 * tests use): two LLaVA-JSON files, 14 samples with small PNG images, one of them missing (an invalid sample), and
 * the common options of the adapt-step job and of `perennial score` / `perennial select` on it; CLI runs of the
 * `perennial` command line with captured output.
 */
package dev.perennial.spark;

import dev.perennial.cli.PerennialCommand;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

final class SparkPool {
    static final Path GOLDEN = Path.of(System.getProperty("perennial.golden"));
    static final Path MODEL = GOLDEN.resolve("tiny-llava-hf");
    static final Path TOKENIZER = GOLDEN.resolveSibling("tiny-tokenizer").resolve("tokenizer.json");
    static final String[] SCORERS = {"ppl", "el2n", "entropy", "grand", "ig"};
    static final int N = 14;

    final Path images, first, second;

    /** Writes the pool under dir. */
    SparkPool(Path dir) throws IOException {
        images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 4; i++) {
            BufferedImage bi = new BufferedImage(16 + i, 12, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 12; y++) for (int x = 0; x < 16 + i; x++) bi.setRGB(x, y, (x * 15 + i * 60) << 16 | (y * 20) << 8 | (40 * i));
            ImageIO.write(bi, "png", images.resolve("p" + i + ".png").toFile());
        }
        String q = "{\"id\": \"%s\", %s\"conversations\": [{\"from\": \"human\", \"value\": \"%s\"}, {\"from\": \"gpt\", \"value\": \"%s\"}]}";
        String[] answers = {"a cat", "blue", "a red square", "two", "here it is", "yes", "no", "big and round"};
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String image = i == 5 ? "\"image\": \"lost.png\", " : i % 3 == 2 ? "" : "\"image\": \"p" + (i % 4) + ".png\", ";
            a.add(String.format(q, "a" + i, image, (image.isEmpty() ? "" : "<image>\\n") + "What is " + i + "?", answers[i]));
        }
        for (int i = 0; i < 6; i++) {
            b.add(String.format(q, "b" + i, "\"image\": \"p" + ((i + 1) % 4) + ".png\", ", "<image>\\nDescribe " + i, answers[(i * 3) % 8] + " again"));
        }
        first = Files.writeString(dir.resolve("first.json"), "[" + String.join(",\n", a) + "]");
        second = Files.writeString(dir.resolve("second.json"), "[" + String.join(",\n", b) + "]");
    }

    String data() { return first + "," + second; }

    /** The options adapt-step and score share, for 32-dimensional vectors projected 2 rows at a time. */
    List<String> scoreOptions() {
        return List.of("--model", MODEL.toString(), "--tokenizer", TOKENIZER.toString(), "--data", data(), "--images", images.toString(),
                "--max-length", "200", "--dim", "32", "--projection-group", "2", "--seed", "0");
    }

    /** adapt-step's arguments: scoreOptions, B = 5, K = 3, P_max = 10, one projection group per task. */
    String[] adaptStep(String master, Path out) {
        List<String> args = new ArrayList<>(List.of("adapt-step", "--master", master));
        args.addAll(scoreOptions());
        args.addAll(List.of("--budget", "5", "--clusters", "3", "--prune-to", "10", "--groups-per-partition", "1", "--out", out.toString()));
        return args.toArray(String[]::new);
    }

    /** A `perennial` command line run: exit code, stdout, stderr. */
    record Cli(int exitCode, String out, String err) {}

    static Cli perennial(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = PerennialCommand.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int code = cli.execute(args);
        return new Cli(code, out.toString(), err.toString());
    }

    static String[] concat(List<String> a, String... b) {
        String[] out = a.toArray(new String[a.size() + b.length]);
        System.arraycopy(b, 0, out, a.size(), b.length);
        return out;
    }

    static String[] concat(String[] a, String... b) {
        return concat(Arrays.asList(a), b);
    }
}
