/*
 * Coverage-guided fuzz tests (Jazzer's JUnit integration) of every parser a user feeds files to
 * (docs/reliability.md, "Fuzzing the file parsers"). Each @FuzzTest writes the input to a file and calls the
 * public entry point a user reaches (TensorSource.open, Npy.read, Tokenizer.load, ClipTokenizer.load,
 * LlavaConfig.load, LlavaJsonReader / SampleIndex, RunPlan.read, ImageDecoder.read), then uses what came back the
 * way the library does (maps every tensor, encodes and decodes a text, reads every sample).
 *
 * The contract under test: bad input ends in the parser's documented exception, one line naming the file, and
 * nothing else. Each test catches exactly that type (expected(...) below also requires a message); any other
 * throwable — a NullPointerException, an index error, a NegativeArraySizeException, an OutOfMemoryError from a
 * size field, a StackOverflowError, an IOException of another type — fails the test, and so does a hang (Jazzer's
 * per-input timeout while fuzzing). A size
 * field must not make a parser allocate what the file cannot hold either: each input may cost at most 64 MiB of Java
 * heap plus a per-format multiple of its length (Budget), measured by the thread's allocation counter.
 *
 * Without JAZZER_FUZZ, `mvn test` runs each test once per file of its seed corpus, ParserFuzzTestInputs/<method>/
 * in the test resources (the seeds of make_seeds.py beside it, and the regression-* inputs of fixed findings), plus
 * an empty input. With JAZZER_FUZZ=1 and one method selected, Jazzer fuzzes that method: .ci/fuzz-campaign.
 */
package dev.perennial.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaDataException;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleIndex;
import dev.perennial.image.ImageDecodeException;
import dev.perennial.image.ImageDecoder;
import dev.perennial.image.RgbImage;
import dev.perennial.io.Npy;
import dev.perennial.io.TensorFormatException;
import dev.perennial.io.TensorSource;
import dev.perennial.lifelong.RunPlan;
import dev.perennial.llava.LlavaConfig;
import dev.perennial.llava.ModelConfigException;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ClipTokenizer;
import dev.perennial.text.Tokenizer;
import dev.perennial.text.TokenizerFormatException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("jazzer")   // with the @FuzzTests, in the fuzz-regression execution's JVM (core/pom.xml)
class ParserFuzzTest {
    /** A text that reaches every encoder path: spaces, byte fallback, verbatim tokens, digits, CLIP's specials. */
    private static final String SAMPLE_TEXT = "hello  a photo of 2 cats\n<image> <pad>é€😀<|endoftext|>\t ab";

    /** One folder per JVM; every execution overwrites the same few files in it. */
    private static final Path DIR = createDir();

    private static Path createDir() {
        try {
            Path dir = Files.createTempDirectory("perennial-fuzz");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(String name, byte[] data) throws IOException {
        Path file = DIR.resolve(name);
        Files.createDirectories(file.getParent());
        Files.write(file, data);
        return file;
    }

    private static final com.sun.management.ThreadMXBean THREADS = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** A parser call that may throw its documented IOException. */
    private interface Body {
        void run() throws IOException;
    }

    /**
     * Runs body and fails when it allocated more Java heap than 64 MiB + perInputByte x the input's length: what a file
     * can make a parser allocate is bounded by its size (text formats by a small multiple; an image by its format's
     * best compression ratio, see ImageDecoder), never by a number written in it.
     */
    private static void withinBudget(byte[] input, long perInputByte, Body body) throws IOException {
        long budget = (64L << 20) + perInputByte * input.length;
        long used = allocatedBy(body);
        // The first run of a code path also pays for loading its classes, which Jazzer's agent instruments in this
        // thread (97 MB once on JDK 25, where instrumenting the JDK's own classes fails with long stack traces); a
        // parser's allocations repeat, so a second run over budget is a finding.
        if (used > budget) used = allocatedBy(body);
        long second = used;
        assertTrue(second <= budget, () -> "allocated " + second + " bytes for an input of " + input.length + " bytes (budget " + budget + ")");
    }

    private static long allocatedBy(Body body) throws IOException {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        body.run();
        return THREADS.getCurrentThreadAllocatedBytes() - before;
    }

    /** Heap per input byte for the text and container formats: generous for parse trees, far below a size field's reach. */
    private static final long TEXT = 1024;

    /** The documented exception must say something and fit on one line (the CLI prints it as is). */
    private static void expected(IOException e) {
        String m = e.getMessage();
        assertTrue(m != null && !m.isBlank(), () -> "no message: " + e);
        assertFalse(m.contains("\n"), () -> "message on several lines: " + m);
    }

    // ------------------------------------------------------------------------------------------- tensors

    @FuzzTest
    void safetensors(byte[] data) throws IOException {
        Path file = write("model.safetensors", data);
        withinBudget(data, TEXT, () -> {
            try (TensorSource source = TensorSource.open(file)) {
                touchAll(source);
            } catch (TensorFormatException e) {
                expected(e);
            }
        });
    }

    /** Two valid shards beside the fuzzed index: shard-a holds "a" and "b", shard-b holds "c". */
    @FuzzTest
    void shardIndex(byte[] data) throws IOException {
        Path folder = DIR.resolve("sharded");
        if (!Files.isRegularFile(folder.resolve("shard-b.safetensors"))) {
            Files.createDirectories(folder);
            Files.write(folder.resolve("shard-a.safetensors"), safetensors(
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[8,24]}}", 24));
            Files.write(folder.resolve("shard-b.safetensors"), safetensors(
                    "{\"c\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16));
        }
        Path index = write("sharded/" + TensorSource.INDEX_FILE, data);
        withinBudget(data, TEXT, () -> {
            try (TensorSource source = TensorSource.open(index)) {
                touchAll(source);
            } catch (TensorFormatException e) {
                expected(e);
            }
        });
    }

    private static byte[] safetensors(String header, int dataBytes) {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(json.length).put(json).array();
    }

    /** Maps every tensor and reads its first and last element, as weight loading does. */
    private static void touchAll(TensorSource source) throws IOException {
        long count = 0;
        for (String name : source.names()) {
            Tensor t = source.tensor(name);
            assertEquals(source.info(name).numel(), t.numel(), name);
            if (t.numel() > 0) {
                t.storage().bytes().get(0);
                t.storage().bytes().get((int) source.info(name).byteLength() - 1);
            }
            count += t.numel();
        }
        assertEquals(source.parameterCount(), count);
    }

    @FuzzTest
    void npy(byte[] data) throws IOException {
        Path file = write("array.npy", data);
        withinBudget(data, TEXT, () -> {
            try {
                Npy.Layout layout = Npy.layout(file);
                try (Tensor t = Npy.read(file)) {
                    assertTrue(Arrays.equals(layout.shape(), t.shape()), "layout and read agree on the shape");
                    assertEquals(layout.byteCount(), t.numel() * t.dtype().byteSize());
                    if (t.numel() > 0) t.contiguous().close();
                }
            } catch (TensorFormatException e) {
                expected(e);
            }
        });
    }

    // ------------------------------------------------------------------------------------------- text

    @FuzzTest
    void tokenizerJson(byte[] data) throws IOException {
        Path file = write("tokenizer.json", data);
        withinBudget(data, TEXT, () -> useTokenizer(file));
    }

    @FuzzTest
    void sentencePiece(byte[] data) throws IOException {
        Path file = write("tokenizer.model", data);
        withinBudget(data, TEXT, () -> useTokenizer(file));
    }

    /**
     * The one finding that hung instead of throwing (a negative length moved the protobuf reader back for ever): as a
     * corpus input it would stall the build without the fix, so it also runs here under a preemptive timeout.
     */
    @Test
    void negativeProtobufLengthEndsInTime() throws IOException {
        byte[] input;
        try (var in = ParserFuzzTest.class.getResourceAsStream("ParserFuzzTestInputs/sentencePiece/regression-negative-length")) {
            input = in.readAllBytes();
        }
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> sentencePiece(input));
    }

    private static void useTokenizer(Path file) throws IOException {
        Tokenizer tok;
        try {
            tok = Tokenizer.load(file);
        } catch (TokenizerFormatException e) {
            expected(e);
            return;
        }
        int[] ids = tok.encode(SAMPLE_TEXT, true);
        tok.decode(ids);
        tok.decode(ids, false);
        for (int id : ids) assertTrue(id >= 0 && id < tok.vocabSize(), "id " + id + " inside the vocabulary");
    }

    /** One input is vocab.json, a NUL byte, then merges.txt (an input without NUL is all vocab.json). */
    @FuzzTest
    void clipTokenizer(byte[] data) throws IOException {
        int nul = 0;
        while (nul < data.length && data[nul] != 0) nul++;
        write("clip/" + ClipTokenizer.VOCAB_JSON, Arrays.copyOfRange(data, 0, nul));
        write("clip/" + ClipTokenizer.MERGES_TXT, Arrays.copyOfRange(data, Math.min(nul + 1, data.length), data.length));
        withinBudget(data, TEXT, () -> {
            ClipTokenizer tok;
            try {
                tok = ClipTokenizer.load(DIR.resolve("clip"));
            } catch (TokenizerFormatException e) {
                expected(e);
                return;
            }
            int[] ids = tok.encode(SAMPLE_TEXT);
            assertTrue(ids.length <= ClipTokenizer.CONTEXT_LENGTH);
            for (int id : ids) tok.piece(id);
            tok.encodeBatch(List.of(SAMPLE_TEXT, "")).inputIds().close();
        });
    }

    // ------------------------------------------------------------------------------------------- model configs

    @FuzzTest
    void llavaHfConfig(byte[] data) throws IOException {
        loadConfig(data);
    }

    /** The original dialect: the fuzzed config.json sits beside a valid vision_tower/config.json. */
    @FuzzTest
    void originalConfig(byte[] data) throws IOException {
        loadConfig(data);
    }

    private static void loadConfig(byte[] data) throws IOException {
        Path model = DIR.resolve("model");
        Path tower = model.resolve("vision_tower").resolve("config.json");
        if (!Files.isRegularFile(tower)) {
            write("model/vision_tower/config.json", ("{\"architectures\": [\"CLIPVisionModel\"], \"hidden_size\": 32, \"intermediate_size\": 37, "
                    + "\"num_attention_heads\": 4, \"num_hidden_layers\": 2, \"image_size\": 30, \"patch_size\": 6}").getBytes(StandardCharsets.UTF_8));
        }
        write("model/config.json", data);
        withinBudget(data, TEXT, () -> {
            try {
                LlavaConfig c = LlavaConfig.load(model);
                assertTrue(c.featureLayerIndex() >= 0 && c.featureLayerIndex() <= c.vision().numLayers());
            } catch (ModelConfigException e) {
                expected(e);
            }
        });
    }

    // ------------------------------------------------------------------------------------------- data

    /** Streams the file under both policies, then indexes it and reads every sample back by position. */
    @FuzzTest
    void llavaJson(byte[] data) throws IOException {
        Path file = write("data.json", data);
        withinBudget(data, TEXT, () -> readSamples(file));
    }

    private static void readSamples(Path file) throws IOException {
        List<LlavaSample> streamed = new ArrayList<>();
        try (LlavaJsonReader r = LlavaJsonReader.open(file, InvalidSamples.SKIP)) {
            for (LlavaSample s; (s = r.read()) != null; ) streamed.add(s);
        } catch (LlavaDataException e) {
            expected(e);
            streamed = null;
        }
        try (LlavaJsonReader r = LlavaJsonReader.open(file, InvalidSamples.FAIL)) {
            while (r.read() != null) { }
        } catch (LlavaDataException e) {
            expected(e);
        }
        try (SampleIndex index = SampleIndex.build(file, InvalidSamples.SKIP)) {
            assertTrue(streamed != null, "the index accepts what the stream refused");
            assertEquals(streamed.size(), index.size());
            for (int i = 0; i < index.size(); i++) assertEquals(streamed.get(i), index.read(i), "sample " + i);
        } catch (LlavaDataException e) {
            expected(e);
            assertEquals(null, streamed, () -> "the stream accepted what the index refused: " + e.getMessage());
        }
    }

    /** RunPlan.read reports every defect as an IOException naming the file (invalid settings included). */
    @FuzzTest
    void runFile(byte[] data) throws IOException {
        Path file = write("runs/run.json", data);
        withinBudget(data, TEXT, () -> {
            try {
                RunPlan plan = RunPlan.read(file);
                assertFalse(plan.strategies().isEmpty());
            } catch (IOException e) {
                expected(e);
            }
        });
    }

    // ------------------------------------------------------------------------------------------- images

    @FuzzTest
    void image(byte[] data) throws IOException {
        Path file = write("image", data);
        // decoding may take the raster and the RGB copy (8 bytes a pixel) of as many pixels as the file can encode
        withinBudget(data, 8 * ImageDecoder.MAX_PIXELS_PER_BYTE, () -> {
            try {
                RgbImage img = ImageDecoder.read(file);
                assertTrue(img.width() > 0 && img.height() > 0);
            } catch (ImageDecodeException e) {
                expected(e);
            }
        });
    }
}
