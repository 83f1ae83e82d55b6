/*
 * The state folder's rules without a model (PromptPoolState): the config and entries round-trip bit for bit with the
 * cached keys, a committed task is never rewritten by the next, pending tasks are found, and damaged folders
 * (malformed or foreign pool.json, a missing or truncated entries file, a bad task name, a second commit of a
 * task) give one clear error naming the file.
 */
package dev.perennial.prompt;

import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class PromptPoolStateTest {
    static final Backend BE = new CpuBackend();
    static final PromptPoolConfig CONFIG = PromptPoolConfig.modalPrompt(3, 3, 0.25f, 6);

    @TempDir
    Path dir;

    private static Tensor random(long seed, int... shape) {
        return PromptPoolTest.random(new SplittableRandom(seed), shape);
    }

    @Test
    void roundTripAndImmutability() throws IOException {
        PromptPoolState s = PromptPoolState.create(dir.resolve("s"), CONFIG, 12);
        s.pool().add("a", random(1, 3, 12), 1);
        s.commitTask("a", BE, null);
        byte[] a = Files.readAllBytes(dir.resolve("s/tasks/001-a/entries.safetensors"));
        byte[] aJson = Files.readAllBytes(dir.resolve("s/tasks/001-a/task.json"));
        s.pool().add("b", random(2, 3, 12), 2);
        s.commitTask("b", BE, null);
        assertArrayEquals(a, Files.readAllBytes(dir.resolve("s/tasks/001-a/entries.safetensors")));
        assertArrayEquals(aJson, Files.readAllBytes(dir.resolve("s/tasks/001-a/task.json")));

        PromptPoolState back = PromptPoolState.open(dir.resolve("s"));
        assertEquals(CONFIG.method(), back.pool().config().method());
        assertArrayEquals(CONFIG.queryWeights(), back.pool().config().queryWeights());
        assertEquals(CONFIG, back.pool().config());
        assertNotEquals(CONFIG, PromptPoolConfig.modalPrompt(3, 3, 0.5f, 6), "lambda is compared");
        for (int i = 0; i < 2; i++) {
            PromptEntry x = s.pool().entry(i), y = back.pool().entry(i);
            assertEquals(x.name(), y.name());
            for (var e : x.tensors().entrySet()) assertArrayEquals(e.getValue().toFloatArray(), y.tensors().get(e.getKey()).toFloatArray(), e.getKey());
            assertArrayEquals(x.keyValues(BE), y.keyValues(BE));
        }
        assertNull(back.pendingTask());
        Files.createDirectories(dir.resolve("s/tasks/003-c/checkpoints"));
        assertEquals("c", PromptPoolState.open(dir.resolve("s")).pendingTask());
    }

    @Test
    void damagedFoldersGiveClearErrors() throws IOException {
        Path s = dir.resolve("s");
        PromptPoolState state = PromptPoolState.create(s, CONFIG, 12);
        assertThrows(IllegalArgumentException.class, () -> PromptPoolState.create(s, CONFIG, 12), "already a pool");
        state.pool().add("a", random(1, 3, 12), 1);
        state.commitTask("a", BE, null);
        var twice = assertThrows(IllegalArgumentException.class, () -> state.commitTask("a", BE, null));
        assertTrue(twice.getMessage().contains("already committed"));
        assertThrows(IllegalArgumentException.class, () -> state.taskFolder(1, "bad/name"));

        byte[] good = Files.readAllBytes(s.resolve("pool.json"));
        Files.writeString(s.resolve("pool.json"), "{\"format\": ");
        var malformed = assertThrows(IOException.class, () -> PromptPoolState.open(s));
        assertTrue(malformed.getMessage().contains("pool.json") && malformed.getMessage().contains("not valid JSON"), malformed.getMessage());
        Files.writeString(s.resolve("pool.json"), "{\"format\": \"something-else\"}");
        assertTrue(assertThrows(IOException.class, () -> PromptPoolState.open(s)).getMessage().contains("format"));
        Files.write(s.resolve("pool.json"), good);

        Path entries = s.resolve("tasks/001-a/entries.safetensors");
        byte[] bytes = Files.readAllBytes(entries);
        Files.write(entries, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        var truncated = assertThrows(IOException.class, () -> PromptPoolState.open(s));
        assertTrue(truncated.getMessage().contains("entries.safetensors"), truncated.getMessage());
        Files.delete(entries);
        assertThrows(IOException.class, () -> PromptPoolState.open(s));
        assertTrue(assertThrows(IOException.class, () -> PromptPoolState.open(dir.resolve("none"))).getMessage().contains("pool.json"));
    }
}
