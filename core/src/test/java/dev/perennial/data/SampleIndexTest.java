/*
 * SampleIndex: random access gives exactly the samples streaming gives, in any order and from several threads; with
 * InvalidSamples.SKIP the skipped samples are left out but positions are kept; a changed file is reported. The
 * large case indexes a generated ~50 MB file (memory stays flat: only byte offsets are kept, and
 * LlavaJsonReaderTest bounds the streaming read-ahead) and checks thousands of streamed and random reads.
 */
package dev.perennial.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SampleIndexTest {
    @TempDir
    Path dir;

    @Test
    void randomAccessEqualsStreamingOrder() throws IOException {
        Path file = GeneratedDataset.file(dir.resolve("small.json"), 500);
        List<LlavaSample> streamed;
        try (LlavaJsonReader reader = LlavaJsonReader.open(file, InvalidSamples.FAIL)) {
            streamed = LlavaJsonReaderTest.readAll(reader);
        }
        try (SampleIndex index = SampleIndex.build(file, InvalidSamples.FAIL)) {
            assertEquals(streamed.size(), index.size());
            for (int i = index.size() - 1; i >= 0; i--) assertEquals(streamed.get(i), index.read(i));
            IntStream.range(0, index.size()).parallel().forEach(i -> {
                try {
                    assertEquals(streamed.get(i), index.read(i));
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            });
            assertThrows(IndexOutOfBoundsException.class, () -> index.read(index.size()));
        }
    }

    @Test
    void skippedSamplesAreLeftOutButKeepTheirPositions() throws IOException {
        Path file = Files.writeString(dir.resolve("skip.json"), """
                [{"id": "a", "conversations": [{"from": "human", "value": "q"}]},
                 {"id": "b", "conversations": [{"from": "robot", "value": "q"}]},
                 {"id": "c", "conversations": [{"from": "human", "value": "q"}]}]""");
        assertEquals(LlavaDataException.Kind.INVALID_SAMPLE,
                assertThrows(LlavaDataException.class, () -> SampleIndex.build(file, InvalidSamples.FAIL)).kind());
        try (SampleIndex index = SampleIndex.build(file, InvalidSamples.SKIP)) {
            assertEquals(2, index.size());
            assertEquals(1, index.skippedCount());
            assertEquals("c", index.read(1).id());
            assertEquals(2, index.read(1).index());
        }
    }

    @Test
    void aChangedFileIsReported() throws IOException {
        Path file = GeneratedDataset.file(dir.resolve("changing.json"), 10);
        try (SampleIndex index = SampleIndex.build(file, InvalidSamples.FAIL)) {
            Files.writeString(file, " ", StandardOpenOption.APPEND);
            LlavaDataException e = assertThrows(LlavaDataException.class, () -> index.read(3));
            assertEquals(LlavaDataException.Kind.CHANGED_FILE, e.kind());
            assertEquals(3, e.sampleIndex());
        }
    }

    @Test
    void indexesAFiftyMegabyteFile() throws IOException {
        int n = 40_000;
        Path file = GeneratedDataset.file(dir.resolve("large.json"), n);
        long size = Files.size(file);
        assertTrue(size > 40_000_000 && size < 70_000_000, "generated " + size + " bytes");
        try (LlavaJsonReader reader = LlavaJsonReader.open(file, InvalidSamples.FAIL)) {
            for (int i = 0; i < 5000; i++) assertEquals(GeneratedDataset.sample(i), reader.read());
        }
        try (SampleIndex index = SampleIndex.build(file, InvalidSamples.FAIL)) {
            assertEquals(n, index.size());
            SplittableRandom random = new SplittableRandom(7);
            for (int k = 0; k < 5000; k++) {
                int i = random.nextInt(n);
                assertEquals(GeneratedDataset.sample(i), index.read(i));
            }
            assertEquals(GeneratedDataset.sample(n - 1), index.read(n - 1));
        }
    }
}
