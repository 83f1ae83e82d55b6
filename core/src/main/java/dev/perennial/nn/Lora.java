/*
 * Attaching, saving, loading, merging and unmerging LoRA adapters on a model's named linear layers
 *.
 *
 * Saved adapters use PEFT's layout so they interoperate with Python: adapter_model.safetensors with
 * "base_model.model.<module>.lora_A.weight" [r, in] and ".lora_B.weight" [out, r], and adapter_config.json with
 * r, lora_alpha, lora_dropout and target_modules. Merging replaces a layer's weight by a float32 W + (alpha/r)·B·A
 * (checkpoint weights are read-only memory maps, so the merged weight is a new tensor) and detaches the adapter;
 * unmerging restores the original weight object, so it is exact.
 */
package dev.perennial.nn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.io.TensorSource;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Static operations on LoRA adapters of a model's named {@code Linear} layers: attach fresh adapters, list their
 * trainable tensors (A {@code [r, in]}, B {@code [out, r]}, float32) by PEFT name, save and load PEFT's
 * {@code adapter_model.safetensors} and {@code adapter_config.json}, and merge adapters into float32 weights
 * ({@code W + scaling * B A}) or unmerge them exactly.
 * <p>Stateless; its static methods are safe to call from several threads (its static fields are constants and a
 * Jackson {@code ObjectMapper}, which is thread-safe once configured), but {@code attach}, {@code load}, {@code merge}
 * and {@code unmerge} modify the given layers, which no other thread may use meanwhile.
 */
public final class Lora {
    private Lora() {}

    public static final String WEIGHTS_FILE = "adapter_model.safetensors";
    public static final String CONFIG_FILE = "adapter_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Attaches fresh adapters (A Kaiming-uniform from {@code seed}, B zero) to every targeted layer. */
    public static Map<String, LoraAdapter> attach(Map<String, Linear> linears, LoraConfig cfg, long seed) {
        return attach(linears, cfg, seed, new dev.perennial.tensor.CpuBackend());
    }

    /**
     * As attach(linears, cfg, seed), the adapters' A and B in {@code be}'s memory (Backend.place): on a device they
     * are then trained in place there, without a copy per step.
     */
    public static Map<String, LoraAdapter> attach(Map<String, Linear> linears, LoraConfig cfg, long seed, Backend be) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        for (var e : linears.entrySet()) {
            if (!cfg.targets(e.getKey())) continue;
            Linear l = e.getValue();
            float bound = (float) (1 / Math.sqrt(l.inFeatures()));             // kaiming_uniform(a=sqrt(5))
            int r = cfg.rankOf(e.getKey());
            float[] av = new float[r * l.inFeatures()];
            for (int i = 0; i < av.length; i++) av[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            LoraAdapter ad = new LoraAdapter(be.place(Tensor.of(av, r, l.inFeatures())),
                    be.zeros(DType.F32, l.outFeatures(), r), cfg.scalingOf(e.getKey()), cfg.dropout(), rng.nextLong());
            l.setAdapter(ad);
            adapters.put(e.getKey(), ad);
        }
        if (adapters.isEmpty()) throw new IllegalArgumentException("no linear layer matches " + cfg.targetModules());
        return adapters;
    }

    /** The trainable tensors of the adapters by PEFT name. */
    public static Map<String, Tensor> parameters(Map<String, LoraAdapter> adapters) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        for (var e : adapters.entrySet()) {
            p.put(pefName(e.getKey(), "lora_A"), e.getValue().a());
            p.put(pefName(e.getKey(), "lora_B"), e.getValue().b());
        }
        return p;
    }

    private static String pefName(String module, String part) {
        return "base_model.model." + module + "." + part + ".weight";
    }

    /** Writes adapter_model.safetensors and adapter_config.json into {@code dir} (atomically, each). */
    public static void save(Path dir, Map<String, LoraAdapter> adapters, LoraConfig cfg) throws IOException {
        save(dir, adapters, cfg, null);
    }

    /**
     * As save(dir, adapters, cfg), naming the base model in the config's base_model_name_or_path (as PEFT writes it;
     * null: not known). The config carries exactly the fields PEFT 0.10 writes, so PEFT loads it as it is.
     */
    public static void save(Path dir, Map<String, LoraAdapter> adapters, LoraConfig cfg, String baseModel) throws IOException {
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), parameters(adapters), Map.of("format", "pt"));
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA").put("task_type", "CAUSAL_LM");
        if (baseModel == null) c.putNull("base_model_name_or_path");
        else c.put("base_model_name_or_path", baseModel);
        c.put("r", cfg.rank()).put("lora_dropout", cfg.dropout());
        if (cfg.alpha() == Math.rint(cfg.alpha())) c.put("lora_alpha", (int) cfg.alpha());   // PEFT's type is int
        else c.put("lora_alpha", cfg.alpha());
        c.put("target_modules", cfg.targetModules());   // a full-match regex, as PEFT reads a string
        c.put("bias", "none").put("fan_in_fan_out", false).put("inference_mode", true).put("init_lora_weights", true);
        c.put("use_rslora", cfg.useRslora()).put("use_dora", false);
        ObjectNode rp = c.putObject("rank_pattern"), ap = c.putObject("alpha_pattern");
        cfg.rankPattern().forEach(rp::put);
        cfg.alphaPattern().forEach(ap::put);
        c.putNull("modules_to_save");
        c.putNull("layers_to_transform");
        c.putNull("layers_pattern");
        c.putNull("revision");
        // PEFT 0.10's remaining fields at its defaults (PeftFormatTest compares the field set)
        c.putNull("auto_mapping");
        c.putNull("layer_replication");
        c.putObject("loftq_config");
        c.putNull("megatron_config");
        c.put("megatron_core", "megatron.core");
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(c);
        AtomicFiles.write(dir.resolve(CONFIG_FILE), ch -> ch.write(ByteBuffer.wrap(json)));
    }

    /** adapter_config.json fields that describe, not change, the adapter (or are PEFT's own bookkeeping). */
    private static final Set<String> DESCRIPTIVE = Set.of("peft_type", "task_type", "base_model_name_or_path", "revision",
            "inference_mode", "init_lora_weights", "auto_mapping", "megatron_core", "runtime_config", "peft_version");

    /**
     * Fields Perennial does not implement, accepted only at the value that leaves LoRA plain (PEFT's default); any
     * other value, and any field not listed here or above, is refused naming it: loading it silently would give
     * wrong outputs.
     */
    private static final Map<String, java.util.function.Predicate<JsonNode>> PLAIN_ONLY = Map.ofEntries(
            Map.entry("bias", n -> n.isNull() || n.asText().equals("none")),
            Map.entry("fan_in_fan_out", n -> n.isNull() || !n.asBoolean()),
            Map.entry("use_dora", n -> n.isNull() || !n.asBoolean()),
            Map.entry("lora_bias", n -> n.isNull() || !n.asBoolean()),
            Map.entry("use_qalora", n -> n.isNull() || !n.asBoolean()),
            Map.entry("qalora_group_size", n -> true),
            Map.entry("modules_to_save", n -> n.isNull() || (n.isArray() && n.isEmpty())),
            Map.entry("layers_to_transform", JsonNode::isNull),
            Map.entry("layers_pattern", n -> n.isNull() || (n.isArray() && n.isEmpty()) || n.asText().isEmpty()),
            Map.entry("megatron_config", JsonNode::isNull),
            Map.entry("loftq_config", n -> n.isNull() || (n.isObject() && n.isEmpty())),
            Map.entry("layer_replication", JsonNode::isNull),
            Map.entry("exclude_modules", n -> n.isNull() || (n.isArray() && n.isEmpty())),
            Map.entry("eva_config", JsonNode::isNull),
            Map.entry("corda_config", JsonNode::isNull),
            Map.entry("trainable_token_indices", JsonNode::isNull),
            Map.entry("target_parameters", n -> n.isNull() || (n.isArray() && n.isEmpty())));

    /** The LoraConfig of an adapter_config.json, strictly: see DESCRIPTIVE and PLAIN_ONLY. */
    static LoraConfig readConfig(JsonNode c, String where) throws IOException {
        java.util.Set<String> implemented = Set.of("r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "rank_pattern", "alpha_pattern");
        for (var it = c.fields(); it.hasNext(); ) {
            var f = it.next();
            String k = f.getKey();
            if (implemented.contains(k) || DESCRIPTIVE.contains(k)) continue;
            var plain = PLAIN_ONLY.get(k);
            if (plain == null) throw new IOException(where + ": adapter_config.json field \"" + k + "\" is not supported by Perennial");
            if (!plain.test(f.getValue())) {
                throw new IOException(where + ": adapter_config.json sets \"" + k + "\": " + f.getValue() + ", which Perennial does not implement");
            }
        }
        if (c.has("peft_type") && !c.get("peft_type").asText().equals("LORA")) {
            throw new IOException(where + ": peft_type " + c.get("peft_type").asText() + " is not LORA");
        }
        if (!c.path("r").isIntegralNumber()) throw new IOException(where + ": adapter_config.json needs an integer \"r\"");
        JsonNode t = c.path("target_modules");
        String targets;
        if (t.isTextual()) {
            targets = t.asText();
        } else {
            List<String> suffixes = new ArrayList<>();
            t.forEach(n -> suffixes.add(n.asText()));
            targets = LoraConfig.fromSuffixes(suffixes);
        }
        Map<String, Integer> ranks = new LinkedHashMap<>();
        c.path("rank_pattern").fields().forEachRemaining(e -> ranks.put(e.getKey(), e.getValue().asInt()));
        Map<String, Float> alphas = new LinkedHashMap<>();
        c.path("alpha_pattern").fields().forEachRemaining(e -> alphas.put(e.getKey(), (float) e.getValue().asDouble()));
        return new LoraConfig(c.path("r").asInt(), (float) c.path("lora_alpha").asDouble(8),         // PEFT default 8
                (float) c.path("lora_dropout").asDouble(0), targets, c.path("use_rslora").asBoolean(false), ranks, alphas);
    }

    /**
     * Reads an adapter folder and attaches its adapters to the matching layers. Every targeted layer must have
     * both tensors with the right shapes, and every tensor must belong to a targeted layer (errors list them).
     */
    public static Map<String, LoraAdapter> load(Path dir, Map<String, Linear> linears, long seed) throws IOException {
        JsonNode c = JSON.readTree(Files.readAllBytes(dir.resolve(CONFIG_FILE)));
        LoraConfig cfg = readConfig(c, dir.toString());
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        try (TensorSource src = TensorSource.open(dir.resolve(WEIGHTS_FILE))) {
            List<String> unused = new ArrayList<>(src.names());
            SplittableRandom rng = new SplittableRandom(seed);
            // an adapter trained against a transformers >= 4.52 checkpoint names its modules in the nested layout
            boolean nested = unused.stream().anyMatch(n -> n.startsWith("base_model.model.model.language_model.")
                    || n.startsWith("base_model.model.model.vision_tower."));
            for (var e : linears.entrySet()) {
                String module = nested ? HfLayout.nested(e.getKey()) : e.getKey();     // the adapter's name of it
                if (!cfg.targets(module)) continue;
                String an = pefName(module, "lora_A"), bn = pefName(module, "lora_B");
                if (!src.contains(an) || !src.contains(bn)) {
                    problems.add("missing " + (src.contains(an) ? bn : an));
                    continue;
                }
                unused.remove(an);
                unused.remove(bn);
                Tensor a = src.tensor(an).to(DType.F32), b = src.tensor(bn).to(DType.F32);
                Linear l = e.getValue();
                int r = cfg.rankOf(module);
                if (a.size(0) != r || a.size(1) != l.inFeatures() || b.size(0) != l.outFeatures() || b.size(1) != r) {
                    problems.add(e.getKey() + ": A " + java.util.Arrays.toString(a.shape()) + ", B " + java.util.Arrays.toString(b.shape())
                            + " do not fit " + l.outFeatures() + "x" + l.inFeatures() + " at rank " + r);
                    continue;
                }
                adapters.put(e.getKey(), new LoraAdapter(a, b, cfg.scalingOf(module), cfg.dropout(), rng.nextLong()));
            }
            for (String n : unused) problems.add("unexpected " + n);
        }
        if (!problems.isEmpty()) throw new IOException(dir + ": adapter does not fit the model: " + String.join("; ", problems));
        for (var e : adapters.entrySet()) linears.get(e.getKey()).setAdapter(e.getValue());
        return adapters;
    }

    /** Original weights of merged layers, so unmerge can restore them exactly. */
    public static final class Merged {
        private final Map<Linear, Tensor> originals = new IdentityHashMap<>();
        private final Map<Linear, LoraAdapter> adapters = new IdentityHashMap<>();
    }

    /** Folds every attached adapter into its layer's weight (W + scaling·B·A, float32) and detaches it. */
    public static Merged merge(Backend be, Map<String, Linear> linears) {
        Merged m = new Merged();
        for (Linear l : linears.values()) {
            LoraAdapter ad = l.adapter();
            if (ad == null) continue;
            m.originals.put(l, l.weight());
            m.adapters.put(l, ad);
            l.replaceWeight(ad.mergedInto(be, l.weight()));
            l.setAdapter(null);
        }
        return m;
    }

    /** Undoes merge(): original weights back (the same objects), adapters re-attached. */
    public static void unmerge(Merged merged) {
        for (var e : merged.originals.entrySet()) {
            e.getKey().replaceWeight(e.getValue());
            e.getKey().setAdapter(merged.adapters.get(e.getKey()));
        }
    }
}
