/*
 * Resumable training state on disk: the trainable tensors, the optimizer state and the
 * position in the run (optimizer step, epoch, micro-batch within the epoch) in a folder checkpoint-<step>/ as
 * trainable.safetensors, optimizer.safetensors and trainer.json. trainer.json also keeps the run's Fingerprint
 * (data, settings, initial trainable values), so a resume with other data or settings is refused, naming what
 * differs, instead of continuing the old run at its old step; and the losses of every step so far and the training
 * objective's own running state (TrainingObjective.checkpointState, e.g. prompt-selection counts), so a resumed run
 * reports what an uninterrupted one would.
 *
 * Written atomically as a whole: the files go into a temporary folder which is renamed into place, then the
 * "latest" pointer file is replaced atomically; a run killed at any moment leaves the previous checkpoint
 * intact and pointed to. Randomness needs no saved state: data order is a function of (seed, epoch) and
 * dropout masks of (seed, step), so restoring the position restores the stream.
 */
package dev.perennial.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.FileTrees;
import dev.perennial.io.Fingerprint;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Resumable training state in {@code checkpoint-<step>/}: the trainable tensors, the optimizer state, the position
 * (optimizer step, epoch, micro-batch in the epoch), the run's {@code Fingerprint}, the losses so far and the
 * objective's own state. {@code save} writes it atomically and points {@code latest} at it; {@code loadLatest} reads it
 * back, or null.
 * <p>A value carrier; its maps, tensors and list are not copied: do not modify them while another thread reads, and do
 * not save into one folder from two threads.
 */
public record TrainingCheckpoint(long step, int epoch, int batchInEpoch, Map<String, Tensor> trainable,
                                 Map<String, Tensor> optimizerState, Fingerprint settings, List<Double> losses, Map<String, Object> objectiveState) {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String LATEST = "latest";

    /** Writes this checkpoint under {@code dir} and points "latest" at it; older checkpoints are removed. */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        String name = "checkpoint-" + step;
        Path tmp = Files.createTempDirectory(dir, name + ".tmp");
        SafetensorsWriter.write(tmp.resolve("trainable.safetensors"), trainable, Map.of());
        SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), optimizerState, Map.of());
        var meta = JSON.createObjectNode().put("step", step).put("epoch", epoch).put("batch_in_epoch", batchInEpoch);
        meta.set("settings", JSON.valueToTree(settings.entries()));
        var l = meta.putArray("losses");
        losses.forEach(l::add);
        if (objectiveState != null) meta.set("objective", JSON.valueToTree(objectiveState));
        byte[] metaBytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta);
        AtomicFiles.write(tmp.resolve("trainer.json"), ch -> ch.write(ByteBuffer.wrap(metaBytes)));
        Path target = dir.resolve(name);
        if (Files.exists(target)) FileTrees.delete(target);
        AtomicFiles.rename(tmp, target);
        AtomicFiles.write(dir.resolve(LATEST), ch -> ch.write(ByteBuffer.wrap(name.getBytes(StandardCharsets.UTF_8))));
        removeAllBut(dir, target);
    }

    /** Deletes every checkpoint folder in dir but {@code keep}. */
    private static void removeAllBut(Path dir, Path keep) throws IOException {
        try (Stream<Path> old = Files.list(dir)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("checkpoint-") && !p.equals(keep)).toList()) FileTrees.delete(p);
        }
    }

    /** The checkpoint "latest" points to, or null when {@code dir} holds none; other checkpoint folders are deleted. */
    public static TrainingCheckpoint loadLatest(Path dir) throws IOException {
        Path pointer = dir.resolve(LATEST);
        if (!Files.isRegularFile(pointer)) return null;
        Path cp = dir.resolve(Files.readString(pointer).trim());
        removeAllBut(dir, cp);                 // a run killed between the pointer update and the clean-up left them
        JsonNode meta = JSON.readTree(Files.readAllBytes(cp.resolve("trainer.json")));
        return new TrainingCheckpoint(meta.get("step").asLong(), meta.get("epoch").asInt(), meta.get("batch_in_epoch").asInt(),
                read(cp.resolve("trainable.safetensors")), read(cp.resolve("optimizer.safetensors")), Fingerprint.of(asMap(meta.get("settings"))), losses(meta.get("losses")),
                asMap(meta.get("objective")));
    }

    /** A JSON object as LinkedHashMaps, Lists and scalars; null when absent or not an object. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(JsonNode node) {
        return node == null || !node.isObject() ? null : JSON.convertValue(node, Map.class);
    }

    private static List<Double> losses(JsonNode node) {
        List<Double> out = new java.util.ArrayList<>();
        if (node != null) node.forEach(n -> out.add(n.asDouble()));
        return out;
    }

    /** Writable copies of every tensor of a safetensors file. */
    private static Map<String, Tensor> read(Path file) throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        try (TensorSource src = TensorSource.open(file)) {
            for (String n : src.names()) {
                Tensor t = src.tensor(n);
                m.put(n, t.to(t.dtype() == DType.I64 ? DType.I64 : DType.F32));
            }
        }
        return m;
    }

}
