/*
 * The registry of prompt-pool parts by JSON name (docs/architecture.md, "How to add a prompt method"): each part kind
 * (key source, score, selector, composer, key loss) maps a "type" to a factory that reads the part's settings. A
 * part is written to pool.json as an object {"type": name, ...settings} and read back through this registry, so a
 * saved pool reopens with the same parts. Settings are strict: an unknown or missing key is an error naming its
 * path (e.g. "config.selector.kk"). Parts a user adds are registered here once, before pools that use them are
 * opened.
 */
package dev.perennial.prompt;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Prompt-pool parts by JSON name: {@code register*} adds a factory, {@code describe} writes a part as a plain map and
 * the {@code keySource/score/selector/composer/keyLoss} readers build one from a map.
 * <p>Thread-safe: the registries are concurrent maps; registering a name twice is refused.
 */
public final class PromptParts {
    private PromptParts() {}

    /** The settings of one part being read: typed getters, every key must be read exactly once (strict). */
    public static final class Settings {
        private final Map<String, Object> values;
        private final String path;
        private final Set<String> read = new HashSet<>();

        Settings(Map<String, Object> values, String path) {
            this.values = values;
            this.path = path;
        }

        /** The setting's path in pool.json, for messages. */
        public String path(String key) { return path + "." + key; }

        private Object get(String key) {
            read.add(key);
            Object v = values.get(key);
            if (v == null) throw new IllegalArgumentException(path(key) + " is missing");
            return v;
        }

        /** An integer setting. */
        public int integer(String key) {
            if (!(get(key) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new IllegalArgumentException(path(key) + " must be an integer, got " + values.get(key));
            }
            return n.intValue();
        }

        /** A number setting, as float. */
        public float number(String key) {
            if (!(get(key) instanceof Number n)) throw new IllegalArgumentException(path(key) + " must be a number, got " + values.get(key));
            return n.floatValue();
        }

        /** A list of integers. */
        public List<Integer> integers(String key) {
            if (!(get(key) instanceof List<?> l)) throw new IllegalArgumentException(path(key) + " must be a list of integers, got " + values.get(key));
            List<Integer> out = new ArrayList<>(l.size());
            for (Object o : l) {
                if (!(o instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                    throw new IllegalArgumentException(path(key) + " must be a list of integers, got " + values.get(key));
                }
                out.add(n.intValue());
            }
            return out;
        }

        /** A boolean setting. */
        public boolean bool(String key) {
            if (!(get(key) instanceof Boolean b)) throw new IllegalArgumentException(path(key) + " must be true or false, got " + values.get(key));
            return b;
        }

        void requireAllRead() {
            for (String k : values.keySet()) {
                if (!k.equals("type") && !read.contains(k)) throw new IllegalArgumentException("unknown setting " + path(k));
            }
        }
    }

    private static final Map<String, Function<Settings, KeySource>> KEY_SOURCES = new ConcurrentHashMap<>();
    private static final Map<String, Function<Settings, PromptScore>> SCORES = new ConcurrentHashMap<>();
    private static final Map<String, Function<Settings, PromptSelector>> SELECTORS = new ConcurrentHashMap<>();
    private static final Map<String, Function<Settings, PromptComposer>> COMPOSERS = new ConcurrentHashMap<>();
    private static final Map<String, Function<Settings, KeyLoss>> KEY_LOSSES = new ConcurrentHashMap<>();

    static {
        registerKeySource("derived-mlp", s -> new DerivedMlpKeys());
        registerKeySource("free", s -> new FreeKeys());
        registerKeySource("centroids", s -> new CentroidKeys(s.integer("perEntry")));
        registerScore("cosine", s -> PromptScore.COSINE);
        registerScore("neg-l2", s -> PromptScore.NEG_L2);
        registerSelector("top-k", s -> new TopKSelector(s.integer("k"), s.bool("forceCurrent")));
        registerSelector("argmax", s -> new ArgmaxSelector(s.bool("forceCurrent")));
        registerSelector("soft", s -> new SoftSelector(s.bool("forceCurrent")));
        registerComposer("concat-after-bos", s -> PromptComposer.AFTER_BOS);
        registerComposer("prefix", s -> PromptComposer.PREFIX);
        registerComposer("weighted-sum", s -> PromptComposer.WEIGHTED_SUM);
        registerComposer("layer-prefix", s -> new LayerPrefixComposer(s.integers("gLayers"), s.integer("gLength"), s.integers("eLayers"),
                s.integer("eLength")));
        registerKeyLoss("none", s -> KeyLoss.NONE);
        registerKeyLoss("current", s -> new CurrentKeyLoss(s.number("weight")));
        registerKeyLoss("selected", s -> new SelectedKeyLoss(s.number("weight")));
    }

    public static void registerKeySource(String type, Function<Settings, KeySource> factory) { register(KEY_SOURCES, type, factory); }
    public static void registerScore(String type, Function<Settings, PromptScore> factory) { register(SCORES, type, factory); }
    public static void registerSelector(String type, Function<Settings, PromptSelector> factory) { register(SELECTORS, type, factory); }
    public static void registerComposer(String type, Function<Settings, PromptComposer> factory) { register(COMPOSERS, type, factory); }
    public static void registerKeyLoss(String type, Function<Settings, KeyLoss> factory) { register(KEY_LOSSES, type, factory); }

    private static <T> void register(Map<String, Function<Settings, T>> registry, String type, Function<Settings, T> factory) {
        if (registry.putIfAbsent(type, factory) != null) throw new IllegalArgumentException("a part called " + type + " is already registered");
    }

    /** A part as written to pool.json: {"type": type, ...settings}. */
    public static Map<String, Object> describe(String type, Map<String, Object> settings) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.putAll(settings);
        return m;
    }

    static KeySource keySource(Object json, String path) { return read(KEY_SOURCES, json, path, "key source"); }
    static PromptScore score(Object json, String path) { return read(SCORES, json, path, "score"); }
    static PromptSelector selector(Object json, String path) { return read(SELECTORS, json, path, "selector"); }
    static PromptComposer composer(Object json, String path) { return read(COMPOSERS, json, path, "composer"); }
    static KeyLoss keyLoss(Object json, String path) { return read(KEY_LOSSES, json, path, "key loss"); }

    @SuppressWarnings("unchecked")
    private static <T> T read(Map<String, Function<Settings, T>> registry, Object json, String path, String kind) {
        if (!(json instanceof Map<?, ?> raw)) throw new IllegalArgumentException(path + " must be an object {\"type\": ...}, got " + json);
        Map<String, Object> map = (Map<String, Object>) raw;
        Object type = map.get("type");
        Function<Settings, T> factory = type instanceof String s ? registry.get(s) : null;
        if (factory == null) {
            List<String> known = new ArrayList<>(registry.keySet());
            known.sort(null);
            throw new IllegalArgumentException(path + ".type: unknown " + kind + " " + type + " (known: " + String.join(", ", known) + ")");
        }
        Settings s = new Settings(map, path);
        T part = factory.apply(s);
        s.requireAllRead();
        return part;
    }
}
