/*
 * HuggingFaceCache on fake hub caches built in a temporary folder (the environment is a parameter): an id resolves
 * through refs/main to its snapshot, "@revision" takes a ref or a snapshot hash, the cache folders are searched in
 * huggingface_hub's order, an existing local folder always wins, a missing id or revision is an error naming where
 * it looked, and a ref whose snapshot is missing is named as such.
 */
package dev.perennial.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HuggingFaceCacheTest {
    private static final String MAIN = "0123456789abcdef0123456789abcdef01234567", OLD = "fedcba9876543210fedcba9876543210fedcba98";

    @TempDir
    Path tmp;

    /** A cached model under {@code cache}: refs/main → MAIN, a second snapshot OLD and a ref "v1" → OLD. */
    private static Path cacheModel(Path cache, String org, String name) throws IOException {
        Path dir = cache.resolve("models--" + org + "--" + name);
        Files.createDirectories(dir.resolve("refs"));
        Files.writeString(dir.resolve("refs/main"), MAIN);                     // huggingface_hub writes no newline; trim anyway
        Files.writeString(dir.resolve("refs/v1"), OLD + "\n");
        for (String h : List.of(MAIN, OLD)) Files.writeString(Files.createDirectories(dir.resolve("snapshots").resolve(h)).resolve("config.json"), "{}");
        return dir;
    }

    @Test
    void anIdResolvesToItsMainSnapshotOrAGivenRevision() throws IOException {
        Path hub = tmp.resolve("hub");
        Path dir = cacheModel(hub, "llava-hf", "llava-1.5-7b-hf");
        Map<String, String> env = Map.of("HF_HUB_CACHE", hub.toString());
        assertEquals(dir.resolve("snapshots").resolve(MAIN), HuggingFaceCache.resolve("llava-hf/llava-1.5-7b-hf", env, tmp.resolve("home")));
        assertEquals(dir.resolve("snapshots").resolve(OLD), HuggingFaceCache.resolve("llava-hf/llava-1.5-7b-hf@v1", env, tmp.resolve("home")));
        assertEquals(dir.resolve("snapshots").resolve(OLD), HuggingFaceCache.resolve("llava-hf/llava-1.5-7b-hf@" + OLD, env, tmp.resolve("home")));
    }

    @Test
    void theCacheFoldersAreSearchedInHuggingFaceOrder() throws IOException {
        Path home = tmp.resolve("home"), hfHome = tmp.resolve("hf-home");
        assertEquals(List.of(tmp.resolve("a"), hfHome.resolve("hub"), tmp.resolve("xdg/huggingface/hub"), home.resolve(".cache/huggingface/hub")),
                HuggingFaceCache.cacheFolders(Map.of("HF_HUB_CACHE", tmp.resolve("a").toString(), "HF_HOME", hfHome.toString(),
                        "XDG_CACHE_HOME", tmp.resolve("xdg").toString()), home));
        assertEquals(List.of(home.resolve(".cache/huggingface/hub")), HuggingFaceCache.cacheFolders(Map.of("HF_HOME", ""), home));

        Path inHfHome = cacheModel(hfHome.resolve("hub"), "org", "m");              // found under $HF_HOME/hub
        assertEquals(inHfHome.resolve("snapshots").resolve(MAIN), HuggingFaceCache.resolve("org/m", Map.of("HF_HOME", hfHome.toString()), home));
        Path inHome = cacheModel(home.resolve(".cache/huggingface/hub"), "org", "n");  // no variable: ~/.cache/huggingface/hub
        assertEquals(inHome.resolve("snapshots").resolve(MAIN), HuggingFaceCache.resolve("org/n", Map.of(), home));
        // with HF_HUB_CACHE set, an id only in the home cache is still found (every folder is searched)
        assertEquals(inHome.resolve("snapshots").resolve(MAIN),
                HuggingFaceCache.resolve("org/n", Map.of("HF_HUB_CACHE", tmp.resolve("empty").toString()), home));
    }

    @Test
    void anExistingLocalFolderAlwaysWins() throws IOException {
        // "target/NAME" relative to the working folder (the module's) reads as an id too; cached under that id as well
        String name = "hf-cache-test-" + ProcessHandle.current().pid();
        Path local = Files.createDirectories(Path.of("target", name));
        try {
            Path hub = tmp.resolve("hub");
            cacheModel(hub, "target", name);
            assertEquals(local, HuggingFaceCache.resolve("target/" + name, Map.of("HF_HUB_CACHE", hub.toString()), tmp));
        } finally {
            Files.delete(local);
        }
        Path notAnId = tmp.resolve("no/such/folder/at/all");
        assertEquals(notAnId, HuggingFaceCache.resolve(notAnId.toString(), Map.of(), tmp),
                "a path that cannot be an id is returned as is, for the caller's no-such-folder error");
    }

    @Test
    void aMissingIdOrRevisionNamesWhereItLooked() throws IOException {
        Path hub = tmp.resolve("hub"), home = tmp.resolve("home");
        cacheModel(hub, "org", "m");
        Map<String, String> env = Map.of("HF_HUB_CACHE", hub.toString());
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> HuggingFaceCache.resolve("org/absent", env, home));
        assertEquals("org/absent: neither a local folder nor a model in the Hugging Face cache (searched "
                + hub.resolve("models--org--absent") + ", " + home.resolve(".cache/huggingface/hub/models--org--absent")
                + "); models are never downloaded: fetch it first, e.g. `huggingface-cli download org/absent`", missing.getMessage());
        NoSuchFileException revision = assertThrows(NoSuchFileException.class, () -> HuggingFaceCache.resolve("org/m@v2", env, home));
        assertTrue(revision.getMessage().startsWith("org/m@v2: no such revision in the Hugging Face cache ")
                && revision.getMessage().endsWith("(refs: main, v1; snapshots: " + MAIN + ", " + OLD + ")"), revision.getMessage());

        Files.writeString(hub.resolve("models--org--m/refs/main"), "1111111111111111111111111111111111111111");
        NoSuchFileException broken = assertThrows(NoSuchFileException.class, () -> HuggingFaceCache.resolve("org/m", env, home));
        assertTrue(broken.getMessage().contains("names snapshot '1111111111111111111111111111111111111111', which is not in the Hugging Face cache"),
                broken.getMessage());
    }
}
