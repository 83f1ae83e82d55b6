/*
 * ShardedCheckpoint and TensorSource.open: the layouts people point at (file, index, folder), and each way
 * an index and its shards can disagree.
 */
package dev.perennial.io;

import dev.perennial.io.TensorFormatException.Defect;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.perennial.io.FormatAssertions.assertDefect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ShardedCheckpointTest {
    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path root;
    Path dir;

    @BeforeEach
    void twoShards() throws IOException {
        dir = Files.createDirectory(root.resolve("ckpt"));
        Map<String, Tensor> first = new LinkedHashMap<>();
        first.put("b", Tensor.of(new float[]{1, 2}, 2));
        first.put("a", Tensor.of(new float[]{3, 4, 5, 6}, 2, 2));
        SafetensorsWriter.write(dir.resolve(SHARD1), first, Map.of("format", "pt"));
        SafetensorsWriter.write(dir.resolve(SHARD2), Map.of("c", Tensor.ofLongs(new long[]{7}, 1)), Map.of());
    }

    /** Writes the index with {@code weightMap} (single quotes stand for double quotes). */
    private Path index(String weightMap) throws IOException {
        String json = "{'metadata': {'total_size': 32, 'origin': 'test'}, 'weight_map': " + weightMap + "}";
        return Files.writeString(dir.resolve(TensorSource.INDEX_FILE), json.replace('\'', '"'));
    }

    private Path validIndex() throws IOException {
        return index("{'a': '" + SHARD1 + "', 'b': '" + SHARD1 + "', 'c': '" + SHARD2 + "'}");
    }

    private static void open(Path p) throws IOException {
        TensorSource.open(p).close();
    }

    @Test
    void opensTheFolderOrTheIndexAsOneSource() throws IOException {
        Path index = validIndex();
        for (Path p : List.of(dir, index)) {
            try (TensorSource s = TensorSource.open(p)) {
                ShardedCheckpoint c = assertInstanceOf(ShardedCheckpoint.class, s);
                assertEquals(List.of("b", "a", "c"), s.names());
                assertEquals(Map.of("total_size", "32", "origin", "test"), s.metadata());
                assertEquals(7, s.parameterCount());
                assertArrayEquals(new float[]{3, 4, 5, 6}, s.tensor("a").toFloatArray());
                assertEquals(7, s.tensor("c").getLong(0));
                assertArrayEquals(new int[]{2, 2}, s.info("a").shape());
                assertEquals(dir.resolve(SHARD2).toAbsolutePath(), c.shardOf("c"));
                assertEquals(2, c.shards().size());
            }
        }
    }

    @Test
    void opensASingleFileOrAFolderHoldingModelSafetensors() throws IOException {
        Path single = root.resolve("single");
        Files.createDirectory(single);
        SafetensorsWriter.write(single.resolve(TensorSource.SINGLE_FILE), Map.of("w", Tensor.scalar(2)), Map.of());
        for (Path p : List.of(single, single.resolve(TensorSource.SINGLE_FILE), dir.resolve(SHARD2))) {
            try (TensorSource s = TensorSource.open(p)) {
                assertInstanceOf(SafetensorsFile.class, s);
                assertEquals(1, s.names().size());
            }
        }
    }

    @Test
    void aPathThatIsNotACheckpoint() {
        assertThrows(NoSuchFileException.class, () -> open(root));               // folder without either file
        assertThrows(NoSuchFileException.class, () -> open(root.resolve("nothing.safetensors")));
    }

    @Test
    void indexNamesAMissingShard() throws IOException {
        Path index = index("{'a': '" + SHARD1 + "', 'b': '" + SHARD1 + "', 'c': '" + SHARD2 + "', 'd': 'gone.safetensors'}");
        assertDefect(Defect.MISSING_SHARD, index, "'gone.safetensors'", () -> open(index));
    }

    @Test
    void tensorListedInTheIndexButAbsentFromItsShard() throws IOException {
        Path index = index("{'a': '" + SHARD1 + "', 'b': '" + SHARD1 + "', 'c': '" + SHARD2 + "', 'd': '" + SHARD2 + "'}");
        assertDefect(Defect.INDEX_MISMATCH, index, "'d' is listed in shard '" + SHARD2 + "' but absent", () -> open(index));
    }

    @Test
    void tensorListedInTheWrongShard() throws IOException {
        Path index = index("{'a': '" + SHARD1 + "', 'b': '" + SHARD2 + "', 'c': '" + SHARD2 + "'}");
        assertDefect(Defect.INDEX_MISMATCH, index, "(it is in " + SHARD1 + ")", () -> open(index));
    }

    @Test
    void shardHoldsATensorTheIndexDoesNotList() throws IOException {
        Path index = index("{'a': '" + SHARD1 + "', 'c': '" + SHARD2 + "'}");
        assertDefect(Defect.INDEX_MISMATCH, index, "'b', which the index does not list", () -> open(index));
    }

    @Test
    void tensorStoredInTwoShards() throws IOException {
        SafetensorsWriter.write(dir.resolve(SHARD2), Map.of("c", Tensor.scalar(1), "a", Tensor.scalar(2)), Map.of());
        Path index = validIndex();
        assertDefect(Defect.DUPLICATE_NAME, index, "'a' is stored in both", () -> open(index));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../outside.safetensors", "sub/../../outside.safetensors", "ABSOLUTE", "."})
    void shardOutsideTheFolder(String shard) throws IOException {
        Path outside = root.resolve("outside.safetensors");
        Files.copy(dir.resolve(SHARD2), outside);                  // exists: the path itself is refused
        String name = shard.equals("ABSOLUTE") ? outside.toAbsolutePath().toString() : shard;
        Path index = index("{'a': '" + SHARD1 + "', 'b': '" + SHARD1 + "', 'c': '" + name + "'}");
        assertDefect(Defect.SHARD_OUTSIDE_FOLDER, index, "'c'", () -> open(index));
    }

    @Test
    void indexWithoutWeightMap() throws IOException {
        Path index = Files.writeString(dir.resolve(TensorSource.INDEX_FILE), "{\"metadata\": {}}");
        assertDefect(Defect.BAD_HEADER, index, "weight_map", () -> open(index));
    }

    @Test
    void weightMapListsATensorTwice() throws IOException {
        Path index = index("{'a': '" + SHARD1 + "', 'a': '" + SHARD2 + "'}");
        assertDefect(Defect.DUPLICATE_NAME, index, "'a'", () -> open(index));
    }

    @Test
    void aMalformedShardIsReportedWithTheShardsName() throws IOException {
        Path shard = dir.resolve(SHARD2);
        Files.write(shard, new byte[]{1, 2, 3});
        Path index = validIndex();
        assertDefect(Defect.TRUNCATED, shard, () -> open(index));
    }
}
