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
import java.util.SplittableRandom;

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
            float[] av = new float[cfg.rank() * l.inFeatures()];
            for (int i = 0; i < av.length; i++) av[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
            LoraAdapter ad = new LoraAdapter(be.place(Tensor.of(av, cfg.rank(), l.inFeatures())),
                    be.zeros(DType.F32, l.outFeatures(), cfg.rank()), cfg.scaling(), cfg.dropout(), rng.nextLong());
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
        Files.createDirectories(dir);
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), parameters(adapters), Map.of("format", "pt"));
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA").put("r", cfg.rank()).put("lora_alpha", cfg.alpha()).put("lora_dropout", cfg.dropout())
                .put("bias", "none").put("task_type", "CAUSAL_LM");
        c.put("target_modules", cfg.targetModules());   // a full-match regex, as PEFT reads a string
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(c);
        AtomicFiles.write(dir.resolve(CONFIG_FILE), ch -> ch.write(ByteBuffer.wrap(json)));
    }

    /**
     * Reads an adapter folder and attaches its adapters to the matching layers. Every targeted layer must have
     * both tensors with the right shapes, and every tensor must belong to a targeted layer (errors list them).
     */
    public static Map<String, LoraAdapter> load(Path dir, Map<String, Linear> linears, long seed) throws IOException {
        JsonNode c = JSON.readTree(Files.readAllBytes(dir.resolve(CONFIG_FILE)));
        JsonNode t = c.path("target_modules");
        String targets;
        if (t.isTextual()) {
            targets = t.asText();
        } else {
            List<String> suffixes = new ArrayList<>();
            t.forEach(n -> suffixes.add(n.asText()));
            targets = LoraConfig.fromSuffixes(suffixes);
        }
        LoraConfig cfg = new LoraConfig(c.path("r").asInt(), (float) c.path("lora_alpha").asDouble(),
                (float) c.path("lora_dropout").asDouble(0), targets);
        Map<String, LoraAdapter> adapters = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        try (TensorSource src = TensorSource.open(dir.resolve(WEIGHTS_FILE))) {
            List<String> unused = new ArrayList<>(src.names());
            SplittableRandom rng = new SplittableRandom(seed);
            for (var e : linears.entrySet()) {
                if (!cfg.targets(e.getKey())) continue;
                String an = pefName(e.getKey(), "lora_A"), bn = pefName(e.getKey(), "lora_B");
                if (!src.contains(an) || !src.contains(bn)) {
                    problems.add("missing " + (src.contains(an) ? bn : an));
                    continue;
                }
                unused.remove(an);
                unused.remove(bn);
                Tensor a = src.tensor(an).to(DType.F32), b = src.tensor(bn).to(DType.F32);
                Linear l = e.getValue();
                if (a.size(0) != cfg.rank() || a.size(1) != l.inFeatures() || b.size(0) != l.outFeatures() || b.size(1) != cfg.rank()) {
                    problems.add(e.getKey() + ": A " + java.util.Arrays.toString(a.shape()) + ", B " + java.util.Arrays.toString(b.shape())
                            + " do not fit " + l.outFeatures() + "x" + l.inFeatures() + " at rank " + cfg.rank());
                    continue;
                }
                adapters.put(e.getKey(), new LoraAdapter(a, b, cfg.scaling(), cfg.dropout(), rng.nextLong()));
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
            Tensor delta = be.scale(be.matmul(ad.b(), ad.a()), ad.scaling());     // [out, in]
            m.originals.put(l, l.weight());
            m.adapters.put(l, ad);
            l.replaceWeight(be.add(l.weight(), delta));
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
