/*
 * Deterministic synthetic weights for a named LLaVA shape, written as Hugging Face shards without ever holding the
 * model in memory (the 7B-scale issue, item 1: a 7B checkpoint in BF16 is 14.1 GB on a 24 GiB machine).
 *
 * Values. Element i of tensor `name` is a function of (seed, name, i) alone: SplitMix64 of a per-tensor key plus
 * i, mapped to a uniform value in [−√3 σ, √3 σ) (standard deviation σ). So any chunk can be generated on any
 * thread, the bytes do not depend on the thread count or chunk size, and the same arguments give the same files.
 * Scales keep activations O(1) through any depth, so prefill, decoding and gradients are well defined:
 *   linear weights σ = 1/√fan_in (unit-variance outputs for unit-variance inputs); the projections that write
 *   into the residual stream (attention o_proj / out_proj, MLP down_proj / fc2) also by 1/√(2L), as GPT-2 scales
 *   them, so the residual stays O(1) over L layers; token embeddings σ = 1 (rows of RMS 1); the LM head
 *   σ = 1/√d (logits O(1): greedy decoding picks a clear maximum); CLIP's class and position embeddings σ = 0.02
 *   (pre_layrnorm normalises them); the patch convolution σ = 1/√(3 p²); norm weights 1, biases 0.
 *
 * Files. Tensors in module order are packed greedily into shards of at most maxShardBytes (transformers'
 * save_pretrained default, 5 GB = 5·10⁹ bytes): one shard is `model.safetensors`; several are
 * `model-0000k-of-0000N.safetensors` with `model.safetensors.index.json` ({"metadata": {"total_size": bytes},
 * "weight_map": {tensor: file}}), as transformers writes them. Every file is written atomically; config.json is
 * written last, so a folder interrupted mid-way has no config and is not mistaken for a checkpoint.
 */
package dev.perennial.benchdata;

import dev.perennial.io.AtomicFiles;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.llava.ClipVisionConfig;
import dev.perennial.llava.LlamaConfig;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Half;
import dev.perennial.tensor.Parallel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The tensors of a {@link ModelShape} with their initialisation ({@code specs}) and a streaming, sharded writer of a
 * llava-hf checkpoint folder ({@code write}).
 * <p>Stateless; its static methods are safe to call from several threads on different folders.
 */
public final class SyntheticWeights {
    private SyntheticWeights() {}

    /** transformers' default max_shard_size ("5GB"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;
    private static final int CHUNK = 1 << 22;              // elements generated per batch (16 MB of F32)
    private static final int BLOCK = 1 << 16;              // elements per parallel task

    /** How a tensor is initialised: uniform with standard deviation {@code std}, all ones, or all zeros. */
    public enum Init { UNIFORM, ONES, ZEROS }

    /** One tensor: name, shape, initialisation and (for UNIFORM) its standard deviation. */
    public record Spec(String name, int[] shape, Init init, double std) {
        /** Number of elements. */
        public long numel() {
            long n = 1;
            for (int s : shape) n *= s;
            return n;
        }
    }

    /** Every tensor of the shape's llava-hf checkpoint, in module order. */
    public static List<Spec> specs(ModelShape shape) {
        List<Spec> out = new ArrayList<>();
        ClipVisionConfig vc = shape.vision();
        LlamaConfig tc = shape.text();
        int dv = vc.hiddenSize(), iv = vc.intermediateSize(), ps = vc.patchSize(), lv = vc.numLayers();
        String v = "vision_tower.vision_model.";
        out.add(uniform(v + "embeddings.class_embedding", 0.02, dv));
        out.add(uniform(v + "embeddings.patch_embedding.weight", 1 / Math.sqrt(vc.numChannels() * ps * ps), dv, vc.numChannels(), ps, ps));
        out.add(uniform(v + "embeddings.position_embedding.weight", 0.02, vc.numPatches() + 1, dv));
        norm(out, v + "pre_layrnorm", dv, true);
        double residualV = 1 / Math.sqrt(2.0 * lv);
        for (int i = 0; i < lv; i++) {
            String l = v + "encoder.layers." + i + ".";
            for (String p : new String[]{"k_proj", "v_proj", "q_proj"}) linear(out, l + "self_attn." + p, dv, dv, true, 1);
            linear(out, l + "self_attn.out_proj", dv, dv, true, residualV);
            norm(out, l + "layer_norm1", dv, true);
            linear(out, l + "mlp.fc1", iv, dv, true, 1);
            linear(out, l + "mlp.fc2", dv, iv, true, residualV);
            norm(out, l + "layer_norm2", dv, true);
        }
        norm(out, v + "post_layernorm", dv, true);
        int d = tc.hiddenSize(), it = tc.intermediateSize(), q = tc.numHeads() * tc.headDim(), kv = tc.numKvHeads() * tc.headDim();
        linear(out, "multi_modal_projector.linear_1", d, dv, true, 1);
        linear(out, "multi_modal_projector.linear_2", d, d, true, 1);
        String t = "language_model.model.";
        out.add(uniform(t + "embed_tokens.weight", 1, tc.vocabSize(), d));
        double residualT = 1 / Math.sqrt(2.0 * tc.numLayers());
        for (int i = 0; i < tc.numLayers(); i++) {
            String l = t + "layers." + i + ".";
            linear(out, l + "self_attn.q_proj", q, d, false, 1);
            linear(out, l + "self_attn.k_proj", kv, d, false, 1);
            linear(out, l + "self_attn.v_proj", kv, d, false, 1);
            linear(out, l + "self_attn.o_proj", d, q, false, residualT);
            linear(out, l + "mlp.gate_proj", it, d, false, 1);
            linear(out, l + "mlp.up_proj", it, d, false, 1);
            linear(out, l + "mlp.down_proj", d, it, false, residualT);
            norm(out, l + "input_layernorm", d, false);
            norm(out, l + "post_attention_layernorm", d, false);
        }
        norm(out, t + "norm", d, false);
        if (!tc.tieWordEmbeddings()) out.add(uniform("language_model.lm_head.weight", 1 / Math.sqrt(d), tc.vocabSize(), d));
        return out;
    }

    private static Spec uniform(String name, double std, int... shape) {
        return new Spec(name, shape, Init.UNIFORM, std);
    }

    private static void linear(List<Spec> out, String name, int outF, int inF, boolean bias, double extraScale) {
        out.add(uniform(name + ".weight", extraScale / Math.sqrt(inF), outF, inF));
        if (bias) out.add(new Spec(name + ".bias", new int[]{outF}, Init.ZEROS, 0));
    }

    private static void norm(List<Spec> out, String name, int d, boolean bias) {
        out.add(new Spec(name + ".weight", new int[]{d}, Init.ONES, 0));
        if (bias) out.add(new Spec(name + ".bias", new int[]{d}, Init.ZEROS, 0));
    }

    /** Element {@code i} of a UNIFORM tensor with key {@code key} (see tensorKey) and standard deviation {@code std}. */
    public static float value(long key, long i, double std) {
        long z = key + (i + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        double u = (z >>> 40) * 0x1.0p-24;                     // [0, 1), 24 bits
        return (float) ((2 * u - 1) * Math.sqrt(3) * std);
    }

    /** The per-tensor key of (seed, name): FNV-1a of the name mixed with the seed. */
    public static long tensorKey(long seed, String name) {
        long h = 0xcbf29ce484222325L;
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) h = (h ^ (b & 0xff)) * 0x100000001b3L;
        return h ^ (seed * 0x9E3779B97F4A7C15L);
    }

    /** The files a write produces: shard name -> its tensors, in order. */
    public static Map<String, List<Spec>> shards(List<Spec> specs, DType dtype, long maxShardBytes) {
        if (maxShardBytes < 1) throw new IllegalArgumentException("max shard size must be positive, got " + maxShardBytes);
        List<List<Spec>> groups = new ArrayList<>();
        List<Spec> current = new ArrayList<>();
        long bytes = 0;
        for (Spec s : specs) {
            long b = s.numel() * dtype.byteSize();
            if (!current.isEmpty() && bytes + b > maxShardBytes) {
                groups.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(s);
            bytes += b;
        }
        if (!current.isEmpty()) groups.add(current);
        Map<String, List<Spec>> out = new LinkedHashMap<>();
        int n = groups.size();
        for (int k = 0; k < n; k++) {
            out.put(n == 1 ? "model.safetensors" : String.format(Locale.ROOT, "model-%05d-of-%05d.safetensors", k + 1, n), groups.get(k));
        }
        return out;
    }

    /**
     * Writes the checkpoint folder {@code dir} (which must exist): shards (and the index when there are several),
     * generation_config.json, then config.json. {@code progress} gets one line per file written (may be null).
     */
    public static void write(Path dir, ModelShape shape, DType dtype, long seed, long maxShardBytes, Consumer<String> progress) throws IOException {
        ModelShape.torchDtype(dtype);                                                 // refuses non-weight dtypes
        Map<String, List<Spec>> shards = shards(specs(shape), dtype, maxShardBytes);
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        for (var e : shards.entrySet()) {
            List<SafetensorsWriter.Streamed> tensors = new ArrayList<>();
            long bytes = 0;
            for (Spec s : e.getValue()) {
                tensors.add(streamed(s, dtype, tensorKey(seed, s.name())));
                weightMap.put(s.name(), e.getKey());
                bytes += s.numel() * dtype.byteSize();
            }
            SafetensorsWriter.writeStreamed(dir.resolve(e.getKey()), tensors, Map.of("format", "pt"));
            total += bytes;
            if (progress != null) progress.accept(String.format(Locale.ROOT, "wrote %s (%d tensors, %.2f GB)", e.getKey(), tensors.size(), bytes / 1e9));
        }
        if (shards.size() > 1) {
            StringBuilder b = new StringBuilder("{\n  \"metadata\": {\n    \"total_size\": " + total + "\n  },\n  \"weight_map\": {\n");
            int i = 0;
            for (var e : weightMap.entrySet()) {
                b.append("    \"").append(e.getKey()).append("\": \"").append(e.getValue()).append('"').append(++i < weightMap.size() ? ",\n" : "\n");
            }
            b.append("  }\n}\n");
            AtomicFiles.write(dir.resolve("model.safetensors.index.json"), b.toString().getBytes(StandardCharsets.UTF_8));
        }
        AtomicFiles.write(dir.resolve("generation_config.json"), shape.generationConfigJson().getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(dir.resolve("config.json"), shape.configJson(dtype).getBytes(StandardCharsets.UTF_8));
    }

    private static SafetensorsWriter.Streamed streamed(Spec s, DType dtype, long key) {
        return new SafetensorsWriter.Streamed() {
            @Override public String name() { return s.name(); }
            @Override public DType dtype() { return dtype; }
            @Override public int[] shape() { return s.shape().clone(); }

            @Override
            public void write(WritableByteChannel ch) throws IOException {
                long n = s.numel();
                int size = dtype.byteSize();
                ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.min(n, CHUNK) * size).order(ByteOrder.LITTLE_ENDIAN);
                for (long start = 0; start < n; start += CHUNK) {
                    int len = (int) Math.min(CHUNK, n - start);
                    long base = start;
                    ByteBuffer out = buf;
                    int blocks = (len + BLOCK - 1) / BLOCK;
                    Parallel.forRows(blocks, (long) BLOCK * 8, (b0, b1) -> {
                        for (int b = b0; b < b1; b++) {
                            int from = b * BLOCK, to = Math.min(len, from + BLOCK);
                            for (int j = from; j < to; j++) {
                                float x = switch (s.init()) {
                                    case UNIFORM -> value(key, base + j, s.std());
                                    case ONES -> 1f;
                                    case ZEROS -> 0f;
                                };
                                switch (dtype) {
                                    case F32 -> out.putFloat(j * 4, x);
                                    case BF16 -> out.putShort(j * 2, Half.floatToBf16(x));
                                    default -> out.putShort(j * 2, Half.floatToF16(x));
                                }
                            }
                        }
                    });
                    buf.limit(len * size).position(0);
                    while (buf.hasRemaining()) ch.write(buf);
                    buf.clear();
                }
            }
        };
    }
}
