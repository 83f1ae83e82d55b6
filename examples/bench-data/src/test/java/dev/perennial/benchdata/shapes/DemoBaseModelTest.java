/*
 * The demo base model's two-stage build on a few samples: both stages train and leave their model folders, the
 * result is stage 2's model as an ordinary llava-hf folder, the instruction stage moves the weights, a finished
 * build is not trained again, and without instruction samples the result is stage 1's model.
 */
package dev.perennial.benchdata.shapes;

import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.text.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class DemoBaseModelTest {
    @TempDir
    Path dir;

    static final DemoBaseModel.Settings TINY = new DemoBaseModel.Settings(8, 1, 4, 1e-3, 0, 8, 1, 5e-4);

    @Test
    void buildsBothStagesAndDoesNotRetrain() throws Exception {
        Path out = dir.resolve("base");
        DemoBaseModel.build(out, TINY, new CpuBackend(), null);
        Path stage1 = out.resolve("pretrain/stage1"), stage2 = out.resolve("pretrain/stage2");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            assertTrue(Files.isRegularFile(stage1.resolve(f)), "stage 1 " + f);
            assertArrayEquals(Files.readAllBytes(stage2.resolve(f)), Files.readAllBytes(out.resolve(f)), "the result is stage 2's " + f);
        }
        assertFalse(java.util.Arrays.equals(Files.readAllBytes(stage1.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model.safetensors"))),
                "the instruction stage changed the weights");
        try (LlavaModel m = LlavaModel.load(out)) {
            assertEquals(Tokenizer.load(out).vocabSize(), m.config().text().vocabSize());
        }
        long modified = Files.getLastModifiedTime(stage2.resolve("model.safetensors")).toMillis();
        byte[] before = Files.readAllBytes(out.resolve("model.safetensors"));
        DemoBaseModel.build(out, TINY, new CpuBackend(), (step, total, loss, rate, eta) -> fail("a finished build trains again"));
        assertEquals(modified, Files.getLastModifiedTime(stage2.resolve("model.safetensors")).toMillis());
        assertArrayEquals(before, Files.readAllBytes(out.resolve("model.safetensors")));

        Path only1 = dir.resolve("only1");
        DemoBaseModel.build(only1, new DemoBaseModel.Settings(8, 1, 4, 1e-3, 0, 0, 1, 5e-4), new CpuBackend(), null);
        assertArrayEquals(Files.readAllBytes(stage1.resolve("model.safetensors")), Files.readAllBytes(only1.resolve("model.safetensors")),
                "stage 1 is a function of the seed, and without instructions it is the result");
        assertFalse(Files.exists(only1.resolve("pretrain/stage2")));
    }
}
