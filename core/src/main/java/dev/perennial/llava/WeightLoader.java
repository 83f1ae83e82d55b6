/*
 * Fetches model weights by their Hugging Face names and checks them, collecting every problem for one
 * CheckpointMismatchException. Two kinds of checkpoint:
 *   - a LLaVA checkpoint in either dialect (llava-hf names; the original names are mapped, below);
 *   - a plain Hugging Face checkpoint whose names are used as stored (forCheckpoint: a CLIPModel checkpoint for
 *     dev.perennial.clip, docs/methods/modalprompt.md section 4).
 *
 * Name mapping to the original haotian-liu/LLaVA checkpoint (docs/methods/llava-numerics.md "Original LLaVA naming"):
 *   vision_tower.vision_model.R          -> model.vision_tower.vision_tower.vision_model.R in the main checkpoint,
 *                                           or vision_model.R in the separate CLIP checkpoint (real LLaVA-1.5
 *                                           releases do not contain the CLIP weights)
 *   multi_modal_projector.linear_1.W     -> model.mm_projector.0.W   (mlp2x_gelu; "linear": model.mm_projector.W)
 *   multi_modal_projector.linear_2.W     -> model.mm_projector.2.W
 *   language_model.model.R               -> model.R
 *   language_model.lm_head.weight        -> lm_head.weight
 * Checkpoints saved by transformers 4.52 and later nest the llava-hf names differently; both layouts load:
 *   vision_tower.R -> model.vision_tower.R, multi_modal_projector.R -> model.multi_modal_projector.R,
 *   language_model.model.R -> model.language_model.R, language_model.lm_head.weight -> lm_head.weight.
 * Tensors are memory-mapped views: F16/BF16 stay in their stored precision. Non-parameter buffers that some
 * exporters keep (rotary inv_freq, CLIP position_ids) and the text half of a full CLIP checkpoint are ignored.
 */
package dev.perennial.llava;

import dev.perennial.io.TensorSource;
import dev.perennial.llava.LlavaConfig.Dialect;
import dev.perennial.llava.LlavaConfig.ProjectorType;
import dev.perennial.nn.Linear;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fetches a checkpoint's tensors by their llava-hf names (mapping the original LLaVA and the nested layouts), checks
 * their shapes, and collects every missing, mis-shaped and unused tensor for one {@link CheckpointMismatchException}
 * from {@code finish}; tensors are memory-mapped views in their stored dtype unless float32 copies are asked for.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); it records what was loaded in
 * unsynchronized sets, lists and maps.
 */
public final class WeightLoader {
    private static final String HF_VISION = "vision_tower.vision_model.";
    private static final String ORIG_VISION = "model.vision_tower.vision_tower.vision_model.";

    private final LlavaConfig config;     // null: a plain HF checkpoint, names as stored
    private final TensorSource main;
    private final TensorSource tower;     // separate CLIP checkpoint (original dialect) or null
    private final boolean visionInMain;
    private final Set<String> usedMain = new HashSet<>(), usedTower = new HashSet<>();
    private final List<String> missing = new ArrayList<>(), misShaped = new ArrayList<>();
    private final Map<String, Tensor> loaded = new LinkedHashMap<>();
    private final Map<String, Linear> linears = new LinkedHashMap<>();
    private final Map<String, String> storedNames = new LinkedHashMap<>();
    private final boolean writableCopies;
    private final boolean nestedLayout;   // llava-hf as saved by transformers >= 4.52 (model.language_model.*, ...)

    /** @param writableCopies load float32 copies in memory (full fine-tuning) instead of read-only maps */
    WeightLoader(LlavaConfig config, TensorSource main, TensorSource tower, boolean writableCopies) {
        this.writableCopies = writableCopies;
        this.config = config;
        this.main = main;
        this.tower = tower;
        this.visionInMain = config == null || config.dialect() == Dialect.HF || tower == null
                || main.names().stream().anyMatch(n -> n.startsWith(ORIG_VISION));
        this.nestedLayout = config != null && config.dialect() == Dialect.HF
                && main.names().stream().anyMatch(n -> n.startsWith("model.language_model."));
    }

    /** A loader for one plain Hugging Face checkpoint whose tensors are fetched by their stored names. */
    public static WeightLoader forCheckpoint(TensorSource checkpoint) {
        return new WeightLoader(null, checkpoint, null, false);
    }

    /**
     * The tensor called {@code hfName} (llava-hf naming) with the expected shape. A missing or mis-shaped tensor
     * is recorded and replaced by a zero-memory placeholder of the expected shape, so that loading can go on and
     * finish() reports every problem at once; a model with placeholders is never returned to callers.
     */
    public Tensor get(String hfName, int... shape) throws IOException {
        boolean vision = hfName.startsWith(HF_VISION);
        TensorSource src = vision && !visionInMain ? tower : main;
        String stored = storedName(hfName, vision && !visionInMain);
        if (!src.contains(stored)) {
            missing.add(stored);
            return placeholder(shape);
        }
        (src == main ? usedMain : usedTower).add(stored);
        int[] found = src.info(stored).shape();
        if (!Arrays.equals(found, shape)) {
            misShaped.add(stored + ": expected " + Arrays.toString(shape) + ", found " + Arrays.toString(found));
            return placeholder(shape);
        }
        Tensor t = src.tensor(stored);
        if (writableCopies) t = t.to(dev.perennial.tensor.DType.F32);
        loaded.put(hfName, t);
        storedNames.put(hfName, stored);
        return t;
    }

    /** One zero element expanded (stride 0) to {@code shape}. */
    private static Tensor placeholder(int[] shape) {
        int[] ones = new int[shape.length];
        Arrays.fill(ones, 1);
        return Tensor.zeros(ones).expand(shape);
    }

    /** True when the checkpoint stores {@code hfName} (for optional tensors such as a tied lm_head). */
    public boolean has(String hfName) {
        boolean vision = hfName.startsWith(HF_VISION);
        return (vision && !visionInMain ? tower : main).contains(storedName(hfName, vision && !visionInMain));
    }

    private String storedName(String hf, boolean inTowerCheckpoint) {
        if (nestedLayout) return dev.perennial.nn.HfLayout.nested(hf);
        if (config == null || config.dialect() == Dialect.HF) return hf;
        if (hf.startsWith(HF_VISION)) {
            String rest = hf.substring(HF_VISION.length());
            return inTowerCheckpoint ? "vision_model." + rest : ORIG_VISION + rest;
        }
        if (hf.startsWith("multi_modal_projector.")) {
            String rest = hf.substring("multi_modal_projector.".length());          // linear_1.weight
            if (config.projectorType() == ProjectorType.LINEAR) return "model.mm_projector." + rest.substring(rest.indexOf('.') + 1);
            return "model.mm_projector." + (rest.startsWith("linear_1.") ? "0" : "2") + rest.substring(rest.indexOf('.'));
        }
        if (hf.startsWith("language_model.model.")) return "model." + hf.substring("language_model.model.".length());
        if (hf.equals("language_model.lm_head.weight")) return "lm_head.weight";
        throw new IllegalArgumentException("no original name for " + hf);
    }

    /** A linear layer named {@code name} (llava-hf, without ".weight"), registered for adapters by name. */
    public Linear linear(String name, int out, int in, boolean bias) throws IOException {
        Linear l = new Linear(name, get(name + ".weight", out, in), bias ? get(name + ".bias", out) : null);
        linears.put(name, l);
        return l;
    }

    /** Every linear layer created through linear(), by name, in load order. */
    Map<String, Linear> linears() { return linears; }

    /** The name each loaded tensor has in its checkpoint (differs from the llava-hf name in the original dialect). */
    Map<String, String> storedNames() { return storedNames; }

    /** Every tensor fetched so far, by llava-hf name, in load order. */
    Map<String, Tensor> loaded() { return loaded; }

    /** Throws if anything was missing, mis-shaped, or left over in the checkpoint(s). */
    public void finish(String checkpointName) throws CheckpointMismatchException {
        List<String> unexpected = new ArrayList<>();
        for (String n : main.names()) if (!usedMain.contains(n) && !ignorable(n)) unexpected.add(n);
        if (tower != null && !visionInMain) {
            for (String n : tower.names()) if (n.startsWith("vision_model.") && !usedTower.contains(n) && !ignorable(n)) unexpected.add(n);
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !misShaped.isEmpty()) {
            throw new CheckpointMismatchException(checkpointName, missing, unexpected, misShaped);
        }
    }

    private static boolean ignorable(String name) {
        return name.endsWith("rotary_emb.inv_freq") || name.endsWith("embeddings.position_ids");
    }
}
