/*
 * Fingerprint, the record of what a run's result depends on: every resume (OutputFolder's manifest, training
 * checkpoints, scoring progress) is allowed or refused by comparing two of them, and the refusal message is built from
 * differences(). So this checks that differences() names exactly the changed, added and removed entries, in a stable
 * order; that a fingerprint survives its JSON form unchanged (it is stored as JSON and compared after reading back);
 * that files enter by content, not path (a moved data file still resumes, an edited one does not); that nested JSON is
 * flattened so the very key that changed is named; and that describeDifferences() cuts long lists short.
 */
package dev.perennial.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FingerprintTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Fingerprint.Builder base() {
        return Fingerprint.builder().put("command", "train").put("epochs", 3).put("lr", 2e-4).put("lora-rank", 8);
    }

    @Test
    void equalFingerprintsHaveNoDifferences() {
        Fingerprint a = base().build(), b = base().build();
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(List.of(), a.differences(b), "identical entries must not differ");
        assertEquals("", a.describeDifferences(b, 6));
    }

    @Test
    void differencesNameChangedAddedAndRemovedEntriesInOrder() {
        Fingerprint before = base().put("removed-late", "x").build();
        // now: epochs changed, lora-rank removed, seed added, lr unchanged, removed-late removed
        Fingerprint now = Fingerprint.builder().put("command", "train").put("epochs", 5).put("lr", 2e-4).put("seed", 1).build();
        assertNotEquals(before, now);
        assertEquals(List.of(
                        "epochs: 3 before, 5 now",
                        "seed: only now (1)",
                        "lora-rank: only before (8)",
                        "removed-late: only before (x)"),
                now.differences(before),
                "changed and added entries in the current order, then the removed ones in the stored order");
        // the other way round, added and removed swap
        assertEquals(List.of(
                        "epochs: 5 before, 3 now",
                        "lora-rank: only now (8)",
                        "removed-late: only now (x)",
                        "seed: only before (1)"),
                before.differences(now));
    }

    @Test
    void nullValuesAreWrittenAsNoneAndPutReplaces() {
        Fingerprint f = Fingerprint.builder().put("a", null).put("b", 1).put("b", 2).build();
        assertEquals(Map.of("a", "none", "b", "2"), f.entries());
        assertEquals(List.of("a", "b"), List.copyOf(f.entries().keySet()), "insertion order is kept");
    }

    @Test
    void jsonRoundTripKeepsEveryEntryAndItsOrder() throws IOException {
        Fingerprint f = base().put("data", "sha256:0123456789abcdef (1,204 bytes)").put("empty", "").put("none", null)
                .put("unicode", "Größe ✓").build();
        // through bytes, as the manifest and trainer.json store it
        @SuppressWarnings("unchecked")
        Map<String, Object> back = JSON.readValue(JSON.writeValueAsBytes(f.entries()), java.util.LinkedHashMap.class);
        Fingerprint read = Fingerprint.of(back);
        assertEquals(f, read);
        assertEquals(List.copyOf(f.entries().keySet()), List.copyOf(read.entries().keySet()), "order survives the round trip");
        assertEquals(List.of(), read.differences(f));
    }

    @Test
    void ofNothingIsEmpty() {
        assertEquals(Map.of(), Fingerprint.of(null).entries());
        assertEquals(Map.of(), Fingerprint.of(Map.of()).entries());
        assertEquals(List.of("epochs: only now (3)"),
                Fingerprint.builder().put("epochs", 3).build().differences(Fingerprint.of(null)),
                "a checkpoint without a stored fingerprint differs in every entry");
    }

    @Test
    void fileDigestFollowsContentNotPath() throws IOException {
        Path a = dir.resolve("data.jsonl");
        Files.writeString(a, "{\"id\": 1}\n{\"id\": 2}\n", StandardCharsets.UTF_8);
        String da = Fingerprint.fileDigest(a);
        assertTrue(da.matches("sha256:[0-9a-f]{16} \\(" + Files.size(a) + " bytes\\)"), da);

        Path moved = Files.createDirectories(dir.resolve("elsewhere/deeper")).resolve("renamed.jsonl");
        Files.copy(a, moved);
        assertEquals(da, Fingerprint.fileDigest(moved), "a copied or moved file has the same digest");
        assertEquals(Fingerprint.builder().putFile("data", a).build(), Fingerprint.builder().putFile("data", moved).build());

        Files.writeString(moved, "{\"id\": 1}\n{\"id\": 3}\n", StandardCharsets.UTF_8);    // same size, one byte differs
        String edited = Fingerprint.fileDigest(moved);
        assertNotEquals(da, edited, "an edited file must not have the same digest");
        List<String> d = Fingerprint.builder().putFile("data", moved).build().differences(Fingerprint.builder().putFile("data", a).build());
        assertEquals(List.of("data: " + da + " before, " + edited + " now"), d);

        Path empty = Files.createFile(dir.resolve("empty"));
        assertEquals("sha256:e3b0c44298fc1c14 (0 bytes)", Fingerprint.fileDigest(empty), "SHA-256 of nothing");
        assertEquals(Map.of("none", "none"), Fingerprint.builder().putFile("none", null).build().entries());
    }

    @Test
    void fileDigestReadsFilesLargerThanOneBuffer() throws IOException {
        byte[] big = new byte[(1 << 16) * 3 + 17];
        for (int i = 0; i < big.length; i++) big[i] = (byte) (i * 31);
        Path p = Files.write(dir.resolve("big.bin"), big);
        String d = Fingerprint.fileDigest(p);
        assertTrue(d.endsWith("(" + big.length + " bytes)"), d);
        big[big.length - 1] ^= 1;                                        // the last byte, in the last partial buffer
        assertNotEquals(d, Fingerprint.fileDigest(Files.write(dir.resolve("big2.bin"), big)));
    }

    @Test
    void putTreeFlattensNestedObjectsAndArrays() throws IOException {
        JsonNode run = JSON.readTree("""
                {"name": "demo", "steps": 2,
                 "a": {"b": [{"c": 1}, {"c": 2, "d": [true, null]}]},
                 "strategies": {"adapt-inf": {"budget": 0.25}}}""");
        Fingerprint f = Fingerprint.builder().putTree("run", JSON.convertValue(run, Object.class)).build();
        assertEquals(List.of("run.name", "run.steps", "run.a.b[0].c", "run.a.b[1].c", "run.a.b[1].d[0]", "run.a.b[1].d[1]",
                        "run.strategies.adapt-inf.budget"),
                List.copyOf(f.entries().keySet()));
        assertEquals("demo", f.entries().get("run.name"), "text leaves are stored without quotes");
        assertEquals("2", f.entries().get("run.a.b[1].c"));
        assertEquals("null", f.entries().get("run.a.b[1].d[1]"));

        Fingerprint noPrefix = Fingerprint.builder().putTree("", JSON.convertValue(run, Object.class)).build();
        assertTrue(noPrefix.entries().containsKey("a.b[1].c"), noPrefix.toString());

        ObjectNode changed = run.deepCopy();
        ((ObjectNode) changed.get("a").get("b").get(1)).put("c", 7);
        ((ObjectNode) changed.get("strategies").get("adapt-inf")).put("budget", 0.5);
        Fingerprint now = Fingerprint.builder().putTree("", JSON.convertValue(changed, Object.class)).build();
        assertEquals(List.of("a.b[1].c: 2 before, 7 now", "strategies.adapt-inf.budget: 0.25 before, 0.5 now"),
                now.differences(noPrefix), "the very keys that changed are named");
    }

    @Test
    void putAllPrefixesAnotherFingerprint() {
        Fingerprint inner = Fingerprint.builder().put("epochs", 3).put("seed", 1).build();
        Fingerprint f = Fingerprint.builder().put("command", "run").putAll("step-1", inner).putAll("", inner).build();
        assertEquals(List.of("command", "step-1.epochs", "step-1.seed", "epochs", "seed"), List.copyOf(f.entries().keySet()));
    }

    @Test
    void describeDifferencesNamesAtMostLimitEntries() {
        Fingerprint.Builder before = Fingerprint.builder(), now = Fingerprint.builder();
        for (int i = 0; i < 9; i++) {
            before.put("k" + i, i);
            now.put("k" + i, i + 100);
        }
        Fingerprint b = before.build(), n = now.build();
        assertEquals("k0: 0 before, 100 now; k1: 1 before, 101 now; k2: 2 before, 102 now; and 6 more", n.describeDifferences(b, 3));
        String all = n.describeDifferences(b, 9);
        assertEquals(9, all.split("; ").length, all);
        assertTrue(!all.contains("more"), "no 'and N more' when all fit: " + all);
        assertEquals("k0: 0 before, 100 now; and 8 more", n.describeDifferences(b, 1));
    }
}
