/*
 * A prompt pool on disk, task after task (docs/methods/modalprompt.md §8). Layout of a state folder:
 *
 *   pool.json                      format, the PromptPoolConfig (its toMap(): policies and parts), the model width D,
 *                                  and the committed tasks in order
 *   tasks/001-<name>/entries.safetensors   the entries this task trained, "<entry>/<tensor>" (prompt, key_mlp.*, key,
 *                                          centroids) + "<entry>/key_cache" (the key [d] selection uses), and the
 *                                          pool's shared prompt after the task ("~shared/prompt", DualPrompt's G)
 *   tasks/001-<name>/task.json     what the task was trained on and how (free-form metadata from the caller)
 *   tasks/001-<name>/checkpoints/  the trainer's checkpoints while the task trains (resume)
 *
 * A task folder is written once, when its task finishes; pool.json is then replaced atomically, which is the
 * commit point. So saving task t never touches a file of a task < t (tested byte for byte), and a crash leaves
 * either the old pool.json or the new one. A task folder that pool.json does not list is pending: training it
 * again (same name) resumes from its checkpoints. For PER_TASK pools a task folder holds its one new entry; for
 * SHARED pools (L2P: every entry trains every task) it holds a snapshot of the whole pool after the task, and
 * loading takes, for every entry, its latest saved version; likewise the shared prompt (trained by every task) is
 * saved by every task and loaded from the latest.
 *
 * Loading restores every tensor bit for bit and takes the cached keys from the files, so a fresh process selects
 * exactly as the one that trained (§12.22), whatever backend computes the keys.
 */
package dev.perennial.prompt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.FileTrees;
import dev.perennial.io.SafetensorsFile;
import dev.perennial.io.SafetensorsWriter;
import dev.perennial.llava.LlavaModel;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A prompt pool stored task after task in a folder: {@code pool.json} lists the committed tasks, and each task folder
 * holds {@code entries.safetensors} and {@code task.json}. It creates or opens the state, commits a trained task
 * ({@code pool.json} replaced atomically, last), names an interrupted task, and rolls back to an earlier task count.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its task list and its
 * {@link PromptPool} change without synchronization, and commits write files in its folder.
 */
public final class PromptPoolState {
    public static final String POOL_JSON = "pool.json", FORMAT = "perennial-prompt-pool/2";
    /** The first format: the configuration's parts were enum constants in flat fields (still read). */
    static final String FORMAT_1 = "perennial-prompt-pool/1";
    static final String ENTRIES = "entries.safetensors", TASK_JSON = "task.json", KEY_CACHE = "key_cache";
    static final String SHARED_PROMPT = PromptPool.SHARED + "/" + PromptEntry.PROMPT;
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A committed task: its name and folder (relative to the state folder). */
    public record Task(String name, String folder) {}

    private final Path dir;
    private final PromptPool pool;
    private final List<Task> tasks;

    private PromptPoolState(Path dir, PromptPool pool, List<Task> tasks) {
        this.dir = dir;
        this.pool = pool;
        this.tasks = tasks;
    }

    public Path dir() { return dir; }
    public PromptPool pool() { return pool; }
    public List<Task> tasks() { return List.copyOf(tasks); }

    /** A new, empty state in {@code dir} (which must not hold a pool yet). */
    public static PromptPoolState create(Path dir, PromptPoolConfig config, int hidden) throws IOException {
        if (Files.exists(dir.resolve(POOL_JSON))) throw new IllegalArgumentException(dir + " already holds a prompt pool");
        Files.createDirectories(dir);
        PromptPoolState s = new PromptPoolState(dir, new PromptPool(config, hidden), new ArrayList<>());
        s.writePoolJson();
        return s;
    }

    /**
     * The state in {@code dir}: opened when it holds a pool (a re-run continues task after task), else created. An
     * existing pool of another configuration or hidden size is refused, naming both.
     */
    public static PromptPoolState openOrCreate(Path dir, PromptPoolConfig config, int hidden) throws IOException {
        if (!exists(dir)) return create(dir, config, hidden);
        PromptPoolState s = open(dir);
        if (!s.pool().config().equals(config) || s.pool().hidden() != hidden) {
            throw new IllegalArgumentException(dir + " holds a prompt pool of " + s.pool().config() + " (hidden " + s.pool().hidden()
                    + "), not " + config + " (hidden " + hidden + ")");
        }
        return s;
    }

    /** True when {@code dir} holds a pool. */
    public static boolean exists(Path dir) { return Files.isRegularFile(dir.resolve(POOL_JSON)); }

    /** Loads a state folder: config and every committed task's entries (bit-exact, cached keys included). */
    public static PromptPoolState open(Path dir) throws IOException {
        Path file = dir.resolve(POOL_JSON);
        if (!Files.isRegularFile(file)) throw new IOException(dir + " holds no prompt pool (" + POOL_JSON + " is missing)");
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        String format = root.path("format").asText();
        if (!FORMAT.equals(format) && !FORMAT_1.equals(format)) throw new IOException(file + ": format is not " + FORMAT + " (or " + FORMAT_1 + ")");
        PromptPoolConfig config;
        try {
            if (!(root.get("config") instanceof ObjectNode c)) throw new IllegalArgumentException("config is not an object");
            @SuppressWarnings("unchecked")
            Map<String, Object> map = JSON.convertValue(c, LinkedHashMap.class);
            config = PromptPoolConfig.fromMap(map);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": bad config: " + e.getMessage(), e);
        }
        PromptPool pool = new PromptPool(config, root.path("hidden").asInt());
        List<Task> tasks = new ArrayList<>();
        Map<String, PromptEntry> latest = new LinkedHashMap<>();
        for (JsonNode t : root.path("tasks")) {
            Task task = new Task(t.path("name").asText(), t.path("folder").asText());
            tasks.add(task);
            for (PromptEntry e : readEntries(dir.resolve(task.folder()).resolve(ENTRIES), config)) latest.put(e.name(), e);
        }
        latest.values().forEach(pool::add);
        for (int i = tasks.size() - 1; i >= 0 && config.composer().sharedRows() > 0; i--) {
            Tensor shared = readShared(dir.resolve(tasks.get(i).folder()).resolve(ENTRIES));
            if (shared == null) continue;
            try {
                pool.setShared(shared);
            } catch (IllegalArgumentException e) {
                throw new IOException(dir.resolve(tasks.get(i).folder()).resolve(ENTRIES) + ": " + e.getMessage(), e);
            }
            break;
        }
        if (config.composer().sharedRows() > 0 && !tasks.isEmpty() && pool.shared() == null) {
            throw new IOException(dir + ": no task folder holds the pool's shared prompt (" + SHARED_PROMPT + ")");
        }
        return new PromptPoolState(dir, pool, tasks);
    }

    /**
     * The task.json of committed task {@code index} (0-based): the caller's metadata plus name and index, as JSON
     * read into Java (LinkedHashMaps, Lists, Strings, numbers, booleans).
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> taskMetadata(int index) throws IOException {
        Path file = dir.resolve(tasks.get(index).folder()).resolve(TASK_JSON);
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (!(n instanceof ObjectNode o)) throw new IOException(file + ": not a JSON object");
            return JSON.convertValue(o, LinkedHashMap.class);
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The folder task number {@code index} (0-based) called {@code name} uses. */
    public Path taskFolder(int index, String name) {
        if (!name.matches("[A-Za-z0-9._-]+")) throw new IllegalArgumentException("task names use letters, digits, '.', '_' and '-': " + name);
        return dir.resolve("tasks").resolve(String.format(Locale.ROOT, "%03d-%s", index + 1, name));
    }

    /** The name of a task whose folder exists but that pool.json does not list (an interrupted task), or null. */
    public String pendingTask() throws IOException {
        Path tasksDir = dir.resolve("tasks");
        if (!Files.isDirectory(tasksDir)) return null;
        String prefix = String.format(Locale.ROOT, "%03d-", tasks.size() + 1);
        try (var s = Files.list(tasksDir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).map(n -> n.substring(prefix.length()))
                    .findFirst().orElse(null);
        }
    }

    /**
     * Commits the task just trained: writes its folder (entries + task.json) and then pool.json. For PER_TASK pools
     * the task's entry is the pool's last; SHARED pools save every entry.
     * @param metadata extra task.json fields as JSON-ready Java values (Maps, Lists, Strings, numbers, booleans), or null
     */
    public void commitTask(String name, Backend be, Map<String, ?> metadata) throws IOException {
        for (Task t : tasks) if (t.name().equals(name)) throw new IllegalArgumentException("task " + name + " is already committed");
        Path folder = taskFolder(tasks.size(), name);
        Files.createDirectories(folder);
        List<PromptEntry> saved = pool.config().growth() == PromptPoolConfig.Growth.PER_TASK
                ? List.of(pool.entry(pool.size() - 1)) : pool.entries();
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (PromptEntry e : saved) {
            e.tensors().forEach((n, t) -> tensors.put(e.name() + "/" + n, t));
            if (pool.config().keys().singleKey()) {
                float[] k = e.keyValues(be);
                tensors.put(e.name() + "/" + KEY_CACHE, Tensor.of(k.clone(), k.length));
            }
        }
        if (pool.shared() != null) tensors.put(SHARED_PROMPT, pool.shared());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("entries", String.join(",", saved.stream().map(PromptEntry::name).toList()));
        SafetensorsWriter.write(folder.resolve(ENTRIES), tensors, meta);
        ObjectNode task = metadata == null ? JSON.createObjectNode() : JSON.valueToTree(metadata);
        task.put("name", name);
        task.put("index", tasks.size());
        AtomicFiles.write(folder.resolve(TASK_JSON), JSON.writeValueAsBytes(task));
        tasks.add(new Task(name, dir.relativize(folder).toString().replace('\\', '/')));
        writePoolJson();
    }

    /**
     * Forgets every task after the first {@code count} (a lifelong run resuming from an earlier step): pool.json is
     * rewritten first (the commit point), then the later tasks' folders are deleted. The in-memory pool is not
     * changed: open the state again afterwards.
     */
    public void rollbackTo(int count) throws IOException {
        if (count < 0 || count > tasks.size()) throw new IllegalArgumentException("cannot roll back to " + count + " of " + tasks.size() + " tasks");
        List<Task> dropped = new ArrayList<>(tasks.subList(count, tasks.size()));
        tasks.subList(count, tasks.size()).clear();
        writePoolJson();
        for (Task t : dropped) FileTrees.delete(dir.resolve(t.folder()));
        String pending = pendingTask();
        if (pending != null) FileTrees.delete(taskFolder(tasks.size(), pending));
    }


    private void writePoolJson() throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.set("config", JSON.valueToTree(pool.config().toMap()));
        root.put("hidden", pool.hidden());
        ArrayNode list = root.putArray("tasks");
        for (Task t : tasks) list.addObject().put("name", t.name()).put("folder", t.folder());
        AtomicFiles.write(dir.resolve(POOL_JSON), JSON.writeValueAsBytes(root));
    }

    /** The shared prompt a task file holds (a float32 copy), or null. */
    private static Tensor readShared(Path file) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (!f.names().contains(SHARED_PROMPT)) return null;
            Tensor t = copy(f.tensor(SHARED_PROMPT));
            try {
                LlavaModel.requireFinite(t, file + ": the shared prompt", "row");
            } catch (IllegalArgumentException bad) {
                throw new IOException(bad.getMessage(), bad);
            }
            return t;
        }
    }

    private static List<PromptEntry> readEntries(Path file, PromptPoolConfig config) throws IOException {
        List<PromptEntry> out = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            String names = f.metadata().get("entries");
            if (names == null) throw new IOException(file + ": no entry list in the metadata");
            for (String name : names.split(",")) {
                Map<String, Tensor> t = new LinkedHashMap<>();
                String prefix = name + "/";
                for (String n : f.names()) if (n.startsWith(prefix)) t.put(n.substring(prefix.length()), copy(f.tensor(n)));
                Tensor prompt = t.get(PromptEntry.PROMPT);
                if (prompt == null) throw new IOException(file + ": entry " + name + " has no prompt");
                for (var e : t.entrySet()) {
                    try {
                        LlavaModel.requireFinite(e.getValue(), file + ": entry " + name + "'s " + e.getKey(), "row");
                    } catch (IllegalArgumentException bad) {
                        throw new IOException(bad.getMessage(), bad);
                    }
                }
                PromptEntry e;
                try {
                    e = config.keys().read(name, prompt, t);
                } catch (IllegalArgumentException ex) {
                    throw new IOException(file + ": entry " + name + ": " + ex.getMessage(), ex);
                }
                Tensor cache = t.get(KEY_CACHE);
                if (cache != null) e.restoreKey(cache.toFloatArray());
                out.add(e);
            }
        }
        return out;
    }

    /** A float32 heap copy (the file is closed after loading; training writes into these). */
    private static Tensor copy(Tensor mapped) {
        return Tensor.of(mapped.to(DType.F32).contiguous().toFloatArray(), mapped.shape());
    }
}
