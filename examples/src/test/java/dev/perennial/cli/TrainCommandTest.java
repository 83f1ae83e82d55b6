/*
 * `perennial train` on the tiny checkpoint with a generated LLaVA-JSON dataset (the byte-level tiny tokenizer,
 * small PNGs): LoRA drives the loss down by a large factor and saves a PEFT adapter, a stopped run resumes, the
 * projector trains beside the adapter when asked,
 * prompt tuning writes its prompt, a missing image is skipped and reported; `forward --backward` reproduces the
 * reference gradients.
 */
package dev.perennial.cli;

import dev.perennial.io.Npy;
import dev.perennial.io.TensorSource;
import dev.perennial.tensor.Tensor;
import dev.perennial.train.NonLoraTrainables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.perennial.cli.CliRun.GOLDEN;
import static dev.perennial.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.*;

class TrainCommandTest {
    private static final Path TOKENIZER = GOLDEN.resolveSibling("tiny-tokenizer").resolve("tokenizer.json");

    @TempDir
    Path dir;

    /** 8 samples with images, the same short answer each time; sample 7's image may be missing. */
    private Path dataset(boolean withMissingImage) throws IOException {
        Path images = Files.createDirectories(dir.resolve("images"));
        for (int i = 0; i < 8; i++) {
            BufferedImage bi = new BufferedImage(12 + i, 10, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 10; y++) for (int x = 0; x < 12 + i; x++) bi.setRGB(x, y, (x * 20 + i * 30) << 16 | (y * 25) << 8 | 90);
            if (!(withMissingImage && i == 7)) ImageIO.write(bi, "png", images.resolve("img" + i + ".png").toFile());
        }
        StringBuilder json = new StringBuilder("[");
        String[] questions = {"What is this?", "Describe it.", "Any color?", "Where?", "Who is there?", "Why so?", "How big?", "What now?"};
        for (int i = 0; i < 8; i++) {
            json.append(i == 0 ? "" : ",").append(String.format(
                    "{\"id\": \"s%d\", \"image\": \"img%d.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\n%s\"}, "
                            + "{\"from\": \"gpt\", \"value\": \"a red bus\"}]}", i, i, questions[i]));
        }
        Path file = dir.resolve("data.json");
        Files.writeString(file, json.append("]").toString());
        return file;
    }

    private CliRun train(Path data, String out, String... extra) {
        String[] base = {"train", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--tokenizer", TOKENIZER.toString(),
                "--data", data.toString(), "--images", dir.resolve("images").toString(), "--out", dir.resolve(out).toString(),
                "--batch", "4", "--lora-rank", "4", "--lora-alpha", "16", "--max-length", "256"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return run(args);
    }

    private static double[] lossRange(String out) {
        Matcher m = Pattern.compile("loss ([0-9.]+) -> ([0-9.]+)").matcher(out);
        assertTrue(m.find(), out);
        return new double[]{Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
    }

    @Test
    void loraTrainingLearnsAndSavesAnAdapter() throws IOException {
        CliRun r = train(dataset(false), "lora", "--epochs", "8", "--lr", "1e-2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("8 samples (0 skipped"), r.out());
        double[] loss = lossRange(r.out());
        assertTrue(loss[1] < loss[0] / 4, r.out());
        assertTrue(Files.isRegularFile(dir.resolve("lora/adapter/adapter_config.json")));
        try (TensorSource src = TensorSource.open(dir.resolve("lora/adapter/adapter_model.safetensors"))) {
            assertEquals(28, src.names().size());
        }
        assertTrue(r.err().contains("16/16 steps"), r.err());
    }

    /** --lora-targets takes PEFT's suffix list or a whole-name regular expression; bad values are one line. */
    @Test
    void loraTargetsChooseTheAdaptedLayers() throws IOException {
        Path data = dataset(false);
        CliRun list = train(data, "qv", "--epochs", "1", "--lora-targets", "q_proj,v_proj");
        assertEquals(0, list.exitCode(), list.err());
        try (TensorSource src = TensorSource.open(dir.resolve("qv/adapter/adapter_model.safetensors"))) {
            // as in PEFT, a suffix matches anywhere in the model: 2 towers x 2 layers x {q, v} x {A, B}
            assertEquals(16, src.names().size(), src.names().toString());
            assertTrue(src.names().stream().allMatch(n -> n.contains("q_proj") || n.contains("v_proj")), src.names().toString());
            assertTrue(src.names().stream().anyMatch(n -> n.contains("vision_tower")), src.names().toString());
        }
        CliRun regex = train(data, "re", "--epochs", "1", "--lora-targets", ".*layers\\.0\\.mlp\\.down_proj");
        assertEquals(0, regex.exitCode(), regex.err());
        try (TensorSource src = TensorSource.open(dir.resolve("re/adapter/adapter_model.safetensors"))) {
            assertEquals(2, src.names().size(), src.names().toString());
        }
        CliRun broken = train(data, "broken", "--lora-targets", "(q_proj");
        assertEquals(1, broken.exitCode());
        assertEquals(1, broken.errLines().size(), broken.err());
        assertTrue(broken.err().contains("--lora-targets"), broken.err());
        CliRun none = train(data, "none", "--lora-targets", "no_such_proj");
        assertEquals(1, none.exitCode());
        assertTrue(none.err().contains("no linear layer matches"), none.err());
    }

    /** --gradient-checkpointing changes memory and time, not results: the same adapter, byte for byte (LoRA dropout on). */
    @Test
    void gradientCheckpointingTrainsTheSameAdapter() throws IOException {
        Path data = dataset(false);
        CliRun plain = train(data, "plain", "--epochs", "2", "--lr", "1e-2");
        CliRun recomputed = train(data, "recomputed", "--epochs", "2", "--lr", "1e-2", "--gradient-checkpointing");
        assertEquals(0, plain.exitCode(), plain.err());
        assertEquals(0, recomputed.exitCode(), recomputed.err());
        assertArrayEquals(Files.readAllBytes(dir.resolve("plain/adapter/adapter_model.safetensors")),
                Files.readAllBytes(dir.resolve("recomputed/adapter/adapter_model.safetensors")));
    }

    /**
     * --train-projector trains the projector beside the adapters (its own AdamW group at --projector-lr) and saves it to
     * adapter/non_lora_trainables.safetensors under LLaVA's names; a run stopped and resumed saves the same bytes;
     * forward --adapter applies it (other logits than the adapter alone); it needs --mode lora.
     */
    @Test
    void theProjectorTrainsBesideTheAdapterAndResumes() throws IOException {
        Path data = dataset(false);
        CliRun whole = train(data, "proj", "--epochs", "2", "--lr", "1e-2", "--train-projector", "--projector-lr", "1e-3");
        assertEquals(0, whole.exitCode(), whole.err());
        Path saved = dir.resolve("proj/adapter").resolve(NonLoraTrainables.FILE);
        try (TensorSource src = TensorSource.open(saved); TensorSource base = TensorSource.open(GOLDEN.resolve("tiny-llava-hf/model.safetensors"))) {
            assertEquals(List.of("base_model.model.multi_modal_projector.linear_1.weight", "base_model.model.multi_modal_projector.linear_1.bias",
                    "base_model.model.multi_modal_projector.linear_2.weight", "base_model.model.multi_modal_projector.linear_2.bias"), src.names());
            for (String n : src.names()) {
                assertFalse(java.util.Arrays.equals(base.tensor(n.substring("base_model.model.".length())).toFloatArray(), src.tensor(n).toFloatArray()),
                        n + " trained");
            }
        }
        CliRun first = train(data, "proj-cut", "--epochs", "2", "--lr", "1e-2", "--train-projector", "--projector-lr", "1e-3",
                "--max-steps", "2", "--checkpoint-every", "1");
        assertEquals(0, first.exitCode(), first.err());
        CliRun rest = train(data, "proj-cut", "--epochs", "2", "--lr", "1e-2", "--train-projector", "--projector-lr", "1e-3", "--resume");
        assertEquals(0, rest.exitCode(), rest.err());
        assertArrayEquals(Files.readAllBytes(saved), Files.readAllBytes(dir.resolve("proj-cut/adapter").resolve(NonLoraTrainables.FILE)));
        assertArrayEquals(Files.readAllBytes(dir.resolve("proj/adapter/adapter_model.safetensors")),
                Files.readAllBytes(dir.resolve("proj-cut/adapter/adapter_model.safetensors")));

        Path g = GOLDEN.resolve("golden-tiny-llava-hf");
        List<String> forward = List.of("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--input-ids", g.resolve("input_ids.npy").toString(),
                "--pixel-values", g.resolve("pixel_values.npy").toString());
        List<String> with = new java.util.ArrayList<>(forward);
        with.addAll(List.of("--adapter", dir.resolve("proj/adapter").toString(), "--out", dir.resolve("fw-proj").toString()));
        assertEquals(0, run(with.toArray(String[]::new)).exitCode());
        Files.delete(saved);
        List<String> without = new java.util.ArrayList<>(forward);
        without.addAll(List.of("--adapter", dir.resolve("proj/adapter").toString(), "--out", dir.resolve("fw-lora").toString()));
        assertEquals(0, run(without.toArray(String[]::new)).exitCode());
        assertFalse(java.util.Arrays.equals(Npy.read(dir.resolve("fw-proj/logits.npy")).toFloatArray(), Npy.read(dir.resolve("fw-lora/logits.npy")).toFloatArray()),
                "forward --adapter applies the saved projector");

        CliRun prompt = train(data, "bad", "--mode", "prompt", "--train-projector");
        assertEquals(1, prompt.exitCode());
        assertTrue(prompt.err().contains("--train-projector goes with --mode lora"), prompt.err());
    }

    @Test
    void aStoppedRunResumes() throws IOException {
        Path data = dataset(false);
        CliRun first = train(data, "run", "--epochs", "2", "--max-steps", "2", "--checkpoint-every", "1", "--lr", "1e-2");
        assertEquals(0, first.exitCode(), first.err());
        assertTrue(first.out().contains("steps 0..2"), first.out());
        CliRun rest = train(data, "run", "--epochs", "2", "--resume", "--lr", "1e-2");
        assertEquals(0, rest.exitCode(), rest.err());
        assertTrue(rest.out().contains("steps 2..4"), rest.out());
    }

    /**
     * --out is guarded (docs/reliability.md). A resume with other data or settings is refused naming what
     * differs (it used to "resume" at the old step and train nothing); a finished folder is not replaced without
     * --overwrite (it used to be replaced silently); --resume of a finished run with the same settings trains no step
     * and leaves the same adapter.
     */
    @Test
    void theOutputFolderIsGuarded() throws IOException {
        Path data = dataset(false);
        CliRun first = train(data, "guarded", "--epochs", "2", "--max-steps", "2", "--checkpoint-every", "1", "--lr", "1e-2");
        assertEquals(0, first.exitCode(), first.err());

        CliRun otherEpochs = train(data, "guarded", "--epochs", "3", "--resume", "--lr", "1e-2");
        assertEquals(1, otherEpochs.exitCode());
        assertEquals(1, otherEpochs.errLines().size(), otherEpochs.err());
        assertTrue(otherEpochs.err().contains("epochs: 2 before, 3 now") && otherEpochs.err().contains("--overwrite"), otherEpochs.err());

        Path edited = dir.resolve("edited.json");
        Files.writeString(edited, Files.readString(data).replace("a red bus", "a blue bus"));
        CliRun otherData = train(edited, "guarded", "--epochs", "2", "--resume", "--lr", "1e-2");
        assertEquals(1, otherData.exitCode());
        assertTrue(otherData.err().contains("data: sha256:"), otherData.err());

        CliRun again = train(data, "guarded", "--epochs", "2", "--lr", "1e-2");
        assertEquals(1, again.exitCode(), "a finished folder is not replaced without --overwrite");
        assertTrue(again.err().contains("finished") && again.err().contains("--overwrite"), again.err());
        byte[] adapter = Files.readAllBytes(dir.resolve("guarded/adapter/adapter_model.safetensors"));

        CliRun idle = train(data, "guarded", "--epochs", "2", "--resume", "--lr", "1e-2", "--max-steps", "2");
        assertEquals(0, idle.exitCode(), idle.err());
        assertTrue(idle.out().contains("steps 2..2"), "no step left to train: " + idle.out());
        assertArrayEquals(adapter, Files.readAllBytes(dir.resolve("guarded/adapter/adapter_model.safetensors")));

        CliRun replaced = train(data, "guarded", "--epochs", "3", "--lr", "1e-2", "--overwrite");
        assertEquals(0, replaced.exitCode(), replaced.err());
        assertTrue(replaced.out().contains("steps 0..6"), replaced.out());

        Files.createDirectories(dir.resolve("someone"));
        Files.writeString(dir.resolve("someone/notes.txt"), "mine");
        CliRun foreign = train(data, "someone", "--epochs", "1", "--overwrite");
        assertEquals(1, foreign.exitCode());
        assertTrue(foreign.err().contains("not written by perennial"), foreign.err());
        assertEquals("mine", Files.readString(dir.resolve("someone/notes.txt")));
    }

    /** Two processes on one --out: the second is refused at once, naming the first (it used to fail on a .tmp file). */
    @Test
    void aSecondProcessOnTheSameOutputIsRefusedNamingTheHolder() throws Exception {
        Path data = dataset(false);
        Path out = dir.resolve("busy");
        try (dev.perennial.io.OutputFolder held = dev.perennial.io.OutputFolder.lock(out, "train")) {
            // this JVM holds it: a child process asks for it
            CliRun r = CliRun.child(java.util.List.of(), java.util.Map.of(), PerennialCommand.class,
                    "train", "--model", GOLDEN.resolve("tiny-llava-hf").toAbsolutePath().toString(), "--tokenizer", TOKENIZER.toAbsolutePath().toString(),
                    "--data", data.toString(), "--images", dir.resolve("images").toString(), "--out", out.toString());
            assertEquals(1, r.exitCode(), r.err());
            assertTrue(r.err().contains("in use by another process (pid " + ProcessHandle.current().pid() + " (perennial train)"), r.err());
        }
    }

    /** A run with nothing to train on stops with one line instead of saving an untrained adapter. */
    @Test
    void nothingToTrainOnIsAnError() throws IOException {
        CliRun r = run("train", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--tokenizer", TOKENIZER.toString(),
                "--data", dataset(false).toString(), "--images", dir.resolve("images").toString(), "--out", dir.resolve("cut").toString(),
                "--lora-rank", "4", "--max-length", "12");                    // every answer falls beyond 12 tokens
        assertEquals(1, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("samples exceed --max-length 12 tokens before their first response token; nothing to train"), r.err());
        assertFalse(Files.exists(dir.resolve("cut/adapter")), "no adapter is saved");
    }

    /** Non-finite pixel values are refused (they made every logit NaN). */
    @Test
    void nanPixelsAreRefused() throws IOException {
        Path g = GOLDEN.resolve("golden-tiny-llava-hf");
        float[] px = Npy.read(g.resolve("pixel_values.npy")).toFloatArray();
        px[100] = Float.NaN;
        Tensor bad = Tensor.of(px, Npy.read(g.resolve("pixel_values.npy")).shape());
        Npy.write(dir.resolve("nan.npy"), bad);
        CliRun r = run("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--input-ids", g.resolve("input_ids.npy").toString(),
                "--pixel-values", dir.resolve("nan.npy").toString(), "--out", dir.resolve("nan-out").toString());
        assertEquals(1, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("perennial forward: pixel values hold NaN (image 0"), r.err());
    }

    @Test
    void promptTuningAndMissingImages() throws IOException {
        CliRun r = train(dataset(true), "prompt", "--mode", "prompt", "--prompt-length", "3", "--epochs", "2", "--lr", "5e-2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("7 samples (1 skipped"), r.out());
        assertTrue(r.out().contains("missing"), r.out());
        try (TensorSource src = TensorSource.open(dir.resolve("prompt/prompt.safetensors"))) {
            assertArrayEquals(new int[]{3, 64}, src.info("prompt_embeddings").shape());
        }
        // the saved prompt loads back as the prompt package's SoftPrompt, trained away from its initial values
        dev.perennial.prompt.SoftPrompt loaded = dev.perennial.prompt.SoftPrompt.load(dir.resolve("prompt/prompt.safetensors"), 64);
        assertEquals(dev.perennial.llava.PromptInsertion.Placement.AFTER_BOS, loaded.insertion().placement());
        float[] initial = dev.perennial.prompt.SoftPrompt.initial(3, 64, 0, dev.perennial.llava.PromptInsertion.Placement.AFTER_BOS)
                .insertion().embeddings().toFloatArray();
        assertFalse(java.util.Arrays.equals(initial, loaded.insertion().embeddings().toFloatArray()), "training moved the prompt");
        assertThrows(IOException.class, () -> dev.perennial.prompt.SoftPrompt.load(dir.resolve("prompt/prompt.safetensors"), 32));
    }

    @Test
    void fullFineTuningWritesALoadableCheckpoint() throws IOException {
        CliRun r = train(dataset(false), "full", "--mode", "full", "--epochs", "1", "--lr", "1e-3");
        assertEquals(0, r.exitCode(), r.err());
        try (dev.perennial.llava.LlavaModel trained = dev.perennial.llava.LlavaModel.load(dir.resolve("full"));
             TensorSource original = TensorSource.open(GOLDEN.resolve("tiny-llava-hf"))) {
            String name = "language_model.model.layers.0.mlp.up_proj.weight";
            float[] before = original.tensor(name).toFloatArray(), after = trained.weights().get(name).toFloatArray();
            assertFalse(java.util.Arrays.equals(before, after), "weights were updated");
        }
    }

    @Test
    void forwardBackwardWritesTheReferenceGradients() throws IOException {
        Path g = GOLDEN.resolve("golden-tiny-llava-hf");
        CliRun r = run("forward", "--model", GOLDEN.resolve("tiny-llava-hf").toString(), "--input-ids", g.resolve("input_ids.npy").toString(),
                "--pixel-values", g.resolve("pixel_values.npy").toString(), "--labels", g.resolve("labels.npy").toString(),
                "--backward", "--out", dir.resolve("grads").toString());
        assertEquals(0, r.exitCode(), r.err());
        try (TensorSource mine = TensorSource.open(dir.resolve("grads/grads.safetensors"));
             TensorSource golden = TensorSource.open(g.resolve("grads.safetensors"))) {
            for (String name : golden.names()) {
                float[] a = mine.tensor(name).toFloatArray(), b = golden.tensor(name).toFloatArray();
                for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-4, name);
            }
        }
        Tensor embeds = Npy.read(dir.resolve("grads/grad_inputs_embeds.npy")), expected = Npy.read(g.resolve("grad_merged_inputs_embeds.npy"));
        float[] a = embeds.toFloatArray(), b = expected.toFloatArray();
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 1e-4);
    }
}
