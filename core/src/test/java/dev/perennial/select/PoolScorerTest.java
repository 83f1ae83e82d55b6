/*
 * PoolScorer on the tiny LLaVA over two generated LLaVA-JSON files (docs/methods/adapt-inf.md Appendix A's scoring loop;
 * §10.1 invariants 2, 6, 7, 8, 10 on every scored row): one row per sample in file order with its source file,
 * NaN rows and counted reasons for invalid samples (missing image, several images, image outside the folder, no
 * response token left after truncation) while a non-sample JSON entry has no row; unit vectors and in-range scores
 * for the valid rows; identical outputs on a second run; an interrupted run resumes to byte-identical outputs; a
 * folder holding a run is not overwritten and a resume with other settings is refused.
 */
package dev.perennial.select;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.data.ImageStore;
import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.text.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PoolScorerTest {
    static final int K = 32;
    static final ObjectMapper JSON = new ObjectMapper();
    static final List<String> SCORERS = List.of("ppl", "el2n", "entropy", "grand", "ig");

    @TempDir
    Path dir;

    static Path resource(String name) throws Exception {
        return Path.of(PoolScorerTest.class.getResource("/" + name).toURI());
    }

    private static String sample(String id, String image, String question, String answer) {
        String img = image == null ? "" : "\"image\": " + image + ", ";
        String prefix = image == null ? "" : "<image>\\n";
        return String.format("{\"id\": \"%s\", %s\"conversations\": [{\"from\": \"human\", \"value\": \"%s%s\"}, "
                + "{\"from\": \"gpt\", \"value\": \"%s\"}]}", id, img, prefix, question, answer);
    }

    /** a.json: 6 entries (5 samples: valid, text-only, missing image, valid, two images; 1 non-sample); b.json: 4. */
    private List<Path> datasets() throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 3; i++) {
            BufferedImage bi = new BufferedImage(14 + 3 * i, 11, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 11; y++) for (int x = 0; x < 14 + 3 * i; x++) bi.setRGB(x, y, (x * 17 + i * 60) << 16 | (y * 23) << 8 | 40 * i);
            ImageIO.write(bi, "png", images.resolve("img" + i + ".png").toFile());
        }
        Files.writeString(dir.resolve("outside.png"), "not inside the image folder");
        String a = "[" + String.join(",\n", sample("a0", "\"img0.png\"", "What is this?", "a red bus"),
                sample("a1", null, "Say hi.", "hi there"),
                sample("a2", "\"gone.png\"", "Where?", "on a street"),
                sample("a3", "\"img1.png\"", "Any color?", "mostly green"),
                sample("a4", "[\"img0.png\", \"img1.png\"]", "Compare.", "the same"),
                "{\"id\": \"not-a-sample\", \"text\": \"no conversations\"}") + "]";
        String b = "[" + String.join(",\n", sample("b0", "\"img2.png\"", "How big?", "quite small"),
                sample("b1", "\"img2.png\"", "word ".repeat(60), "cut away"),
                sample("b2", "\"../outside.png\"", "Why?", "no reason"),
                sample("b3", null, "Count to three.", "one two three")) + "]";
        return List.of(Files.writeString(dir.resolve("a.json"), a), Files.writeString(dir.resolve("b.json"), b));
    }

    /** A fresh model with fresh rank-4 adapters on the last layer (seeded), as the CLI does. */
    private PoolScorer.Builder builder(LlavaModel m, List<Path> data, Path out) throws Exception {
        Map<String, LoraAdapter> fresh = LoraLayers.attachFresh(m, LoraLayers.lastLayer(m), 4, 8, 0);
        assertEquals(7, fresh.size());
        ImageStore store = new ImageStore(dir.resolve("images"), LlavaChat.processorFor(resource("golden/tiny-llava-hf"), m), false);
        return PoolScorer.builder().setModel(m, new CpuBackend()).setTokenizer(Tokenizer.load(resource("tiny-tokenizer/tokenizer.json")))
                .setDatasets(data).setOutput(out).optImages(store).optMaxLength(200)
                .optScorers(ScorerRegistry.standard().select(SCORERS))
                .optVectors(new SampleVectors.Config(SampleVectors.Source.LORA_GRAD, List.of(), K, 0))
                .optLogInterval(Duration.ZERO);
    }

    private PoolScorer.Result run(List<Path> data, Path out, int batch, int group, int commitEvery, boolean resume,
                                  PoolScorer.Progress progress) throws Exception {
        try (LlavaModel m = LlavaModel.load(resource("golden/tiny-llava-hf"))) {
            return builder(m, data, out).optBatchSize(batch).optProjectionGroup(group).optCommitEvery(commitEvery).optResume(resume)
                    .build().run(progress);
        }
    }

    @Test
    void scoresEverySampleAndMarksTheInvalidOnes() throws Exception {
        List<Path> data = datasets();
        Path out = dir.resolve("out");
        List<long[]> updates = new ArrayList<>();
        PoolScorer.Result r = run(data, out, 1, 4, 4, false, (done, total, rate, eta) -> updates.add(new long[]{done, total}));

        assertEquals(9, r.samples());
        assertEquals(Map.of(PoolScorer.Invalid.MISSING_IMAGE, 1L, PoolScorer.Invalid.UNSUPPORTED, 1L,
                PoolScorer.Invalid.NO_RESPONSE_TOKENS, 1L, PoolScorer.Invalid.IMAGE_OUTSIDE_ROOT, 1L), r.invalid());
        assertEquals(1, r.skippedJson());
        assertEquals(3, updates.size(), "one update per group of 4 rows");
        assertArrayEquals(new long[]{4, 9}, updates.get(0), "the counting pass gives the total");
        assertArrayEquals(new long[]{9, 9}, updates.get(2));

        JsonNode records = JSON.readTree(out.resolve(PoolScorer.RECORDS).toFile());
        String[] ids = {"a0", "a1", "a2", "a3", "a4", "b0", "b1", "b2", "b3"};
        int[] recordIndex = {0, 1, 2, 3, 4, 0, 1, 2, 3};
        boolean[] valid = {true, true, false, true, false, true, false, false, true};
        assertEquals(9, records.size());
        for (int i = 0; i < 9; i++) {
            JsonNode rec = records.get(i);
            assertEquals(ids[i], rec.get("id").asText());
            assertEquals(recordIndex[i], rec.get("record").asInt());
            assertEquals(data.get(i < 5 ? 0 : 1).toString(), rec.get("source").asText());
            assertEquals(!valid[i], rec.has("invalid"), ids[i] + ": " + rec);
        }
        assertTrue(records.get(2).get("invalid").asText().startsWith("missing image"));
        assertTrue(records.get(4).get("invalid").asText().contains("2 images"), records.get(4).toString());
        assertTrue(records.get(6).get("invalid").asText().startsWith("no response tokens"));
        assertTrue(records.get(7).get("invalid").asText().startsWith("image path outside"));

        float[][] scores = new float[SCORERS.size()][];
        for (int s = 0; s < SCORERS.size(); s++) {
            var t = Npy.read(out.resolve(SCORERS.get(s) + ".npy"));
            assertArrayEquals(new int[]{9}, t.shape());
            scores[s] = t.toFloatArray();
        }
        try (VectorStore v = VectorStore.open(r.vectors())) {
            assertEquals(9, v.size());
            assertEquals(K, v.dim());
            float[] row = new float[K];
            for (int i = 0; i < 9; i++) {
                v.read(i, row);
                if (!valid[i]) {
                    for (float x : row) assertTrue(Float.isNaN(x), "invalid row " + i);
                    for (float[] s : scores) assertTrue(Float.isNaN(s[i]), "invalid row " + i);
                    continue;
                }
                double n = 0;
                for (float x : row) n += x * x;
                assertEquals(1.0, Math.sqrt(n), 1e-3, "unit vector, row " + i);                 // invariant 2
                float ppl = scores[0][i], el2n = scores[1][i], entropy = scores[2][i], grand = scores[3][i], ig = scores[4][i];
                assertTrue(ppl >= 0 && Math.exp(ppl) >= 1, "PPL >= 1, row " + i);                // invariant 6
                assertTrue(el2n >= 0 && el2n <= Math.sqrt(2), "EL2N in [0, sqrt 2], row " + i);   // invariant 7
                assertTrue(entropy >= 0 && entropy <= Math.log(320) + 1e-5, "entropy in [0, ln V], row " + i);   // invariant 8
                assertTrue(grand > 0, "GraNd > 0, row " + i);                                    // invariant 9
                assertTrue(ig > 0 && Float.isFinite(ig), "IG > 0, row " + i);                    // invariant 10
            }
        }
        assertEquals(1.0f, scores[4][1], "text-only a1: IG exactly 1.0");
        assertEquals(1.0f, scores[4][8], "text-only b3: IG exactly 1.0");
        assertNotEquals(1.0f, scores[4][0], "a0 has an image");

        JsonNode progress = JSON.readTree(out.resolve(PoolScorer.PROGRESS).toFile());
        assertTrue(progress.get("finished").asBoolean());
        assertFalse(Files.exists(out.resolve(PoolScorer.RECORDS_LOG)));
        assertFalse(Files.exists(VectorStore.partialOf(out.resolve(PoolScorer.SCORES))));

        IOException again = assertThrows(IOException.class, () -> run(data, out, 1, 4, 4, false, null));
        assertTrue(again.getMessage().contains("already holds a scoring run"), again.getMessage());
        byte[] before = Files.readAllBytes(out.resolve("ppl.npy"));
        PoolScorer.Result done = run(data, out, 1, 4, 4, true, null);
        assertEquals(9, done.samples());
        assertEquals(9, done.resumedFrom(), "nothing left to do");
        assertEquals(r.invalid(), done.invalid());
        assertArrayEquals(before, Files.readAllBytes(out.resolve("ppl.npy")), "a finished run is left as it is");
    }

    /** Every output file of a finished run, by name. */
    private static Map<String, byte[]> outputs(Path out) throws IOException {
        Map<String, byte[]> files = new java.util.TreeMap<>();
        for (String name : List.of(PoolScorer.VECTORS, PoolScorer.RECORDS, "ppl.npy", "el2n.npy", "entropy.npy", "grand.npy", "ig.npy")) {
            files.put(name, Files.readAllBytes(out.resolve(name)));
        }
        return files;
    }

    @Test
    void runsAreDeterministicAndAnInterruptedRunResumesToTheSameBytes() throws Exception {
        List<Path> data = datasets();
        Path whole = dir.resolve("whole"), again = dir.resolve("again"), cut = dir.resolve("cut");
        run(data, whole, 2, 2, 3, false, null);
        run(data, again, 2, 2, 3, false, null);
        Map<String, byte[]> expected = outputs(whole);
        Map<String, byte[]> second = outputs(again);
        for (String name : expected.keySet()) assertArrayEquals(expected.get(name), second.get(name), name + " is deterministic");

        RuntimeException stop = assertThrows(RuntimeException.class, () -> run(data, cut, 2, 2, 3, false, (done, total, rate, eta) -> {
            if (done >= 6) throw new RuntimeException("killed at " + done);
        }));
        assertEquals("killed at 6", stop.getMessage());
        assertEquals(4, JSON.readTree(cut.resolve(PoolScorer.PROGRESS).toFile()).get("rows").asInt(), "committed after rows 1-4");
        assertEquals(6, Files.readAllLines(cut.resolve(PoolScorer.RECORDS_LOG)).size(), "rows 5-6 were written, not committed");
        assertFalse(Files.exists(cut.resolve(PoolScorer.VECTORS)));

        IOException other = assertThrows(IOException.class, () -> run(data, cut, 2, 4, 3, true, null));
        assertTrue(other.getMessage().contains("other settings"), other.getMessage());

        PoolScorer.Result resumed = run(data, cut, 2, 2, 3, true, null);
        assertEquals(4, resumed.resumedFrom());
        assertEquals(9, resumed.samples());
        assertEquals(4, resumed.invalidCount());
        Map<String, byte[]> after = outputs(cut);
        for (String name : expected.keySet()) assertArrayEquals(expected.get(name), after.get(name), name + " after resume");
    }
}
