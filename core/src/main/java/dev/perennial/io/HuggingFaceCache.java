/*
 * A model given as a Hugging Face id ("llava-hf/llava-1.5-7b-hf", optionally "@revision") found in the local Hugging
 * Face hub cache, so that `--model` takes what `huggingface-cli download` or transformers' from_pretrained left on
 * disk. Nothing is ever downloaded: an id that is not in the cache is an error naming the folders searched.
 *
 * The hub cache layout (huggingface_hub's file_download): <cache>/models--{org}--{name}/refs/{ref} holds a commit
 * hash, <cache>/models--{org}--{name}/snapshots/{hash}/ is the model folder (its files are symbolic links into
 * blobs/, which the readers follow). A revision is a ref name under refs/ ("main" by default, "refs/pr/1" style
 * names included) or a snapshot hash.
 *
 * Where the cache is, as huggingface_hub looks for it: $HF_HUB_CACHE, else $HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub. Every folder of that list that is set is searched in
 * that order (not only the first), so an id found under any of them resolves. The environment and the home folder
 * are parameters, so tests build a fake cache in a temporary folder.
 *
 * A string naming an existing local path is always that path, even when it also reads as an id.
 */
package dev.perennial.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Resolves a model argument that is either a local folder or a Hugging Face model id ({@code org/name} or
 * {@code org/name@revision}) to a folder, looking the id up in the local Hugging Face hub cache
 * ({@code models--org--name/refs/REVISION} → {@code snapshots/HASH/}); it never downloads. A string that names an
 * existing local path is that path; an id missing from the cache is an {@code IOException} naming every folder
 * searched.
 * <p>Stateless; its static methods are thread-safe (they only read the file system and their arguments).
 */
public final class HuggingFaceCache {
    /** org/name with Hugging Face's characters, then an optional @revision. */
    private static final Pattern ID = Pattern.compile("([A-Za-z0-9][A-Za-z0-9._-]*)/([A-Za-z0-9][A-Za-z0-9._-]*)(?:@([A-Za-z0-9._/-]+))?");

    private HuggingFaceCache() {}

    /** {@link #resolve(String, Map, Path)} with this process's environment and {@code user.home}. */
    public static Path resolve(String model) throws IOException {
        return resolve(model, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * The folder {@code model} names: the local path itself when it exists (or when it cannot be a model id), else the
     * cached snapshot of that id.
     * @param env  environment variables (HF_HUB_CACHE, HF_HOME, XDG_CACHE_HOME are read)
     * @param home the user's home folder (for ~/.cache/huggingface/hub)
     * @throws IOException when {@code model} reads as an id but is neither a local path nor in the cache (the message
     *                     names the folders searched), or when the cache entry is broken (a ref without its snapshot)
     */
    public static Path resolve(String model, Map<String, String> env, Path home) throws IOException {
        Path local = Path.of(model);
        if (Files.exists(local)) return local;
        Matcher m = ID.matcher(model);
        if (!m.matches() || model.contains("..")) return local;                 // not an id: reported as a missing path later
        String org = m.group(1), name = m.group(2), revision = m.group(3) == null ? "main" : m.group(3);
        String repo = "models--" + org + "--" + name;
        List<Path> caches = cacheFolders(env, home);
        for (Path cache : caches) {
            Path dir = cache.resolve(repo);
            if (Files.isDirectory(dir)) return snapshot(dir, org + "/" + name, revision);
        }
        StringBuilder searched = new StringBuilder();
        for (Path c : caches) searched.append(searched.length() == 0 ? "" : ", ").append(c.resolve(repo));
        throw new NoSuchFileException(model, null, "neither a local folder nor a model in the Hugging Face cache (searched "
                + searched + "); models are never downloaded: fetch it first, e.g. `huggingface-cli download " + org + "/" + name + "`");
    }

    /**
     * The hub cache folders searched, in order: $HF_HUB_CACHE, $HF_HOME/hub, $XDG_CACHE_HOME/huggingface/hub,
     * {@code home}/.cache/huggingface/hub (unset or empty variables are left out; duplicates once).
     */
    public static List<Path> cacheFolders(Map<String, String> env, Path home) {
        List<Path> out = new ArrayList<>();
        String hubCache = env.get("HF_HUB_CACHE"), hfHome = env.get("HF_HOME"), xdg = env.get("XDG_CACHE_HOME");
        if (hubCache != null && !hubCache.isBlank()) out.add(Path.of(hubCache));
        if (hfHome != null && !hfHome.isBlank()) out.add(Path.of(hfHome, "hub"));
        if (xdg != null && !xdg.isBlank()) out.add(Path.of(xdg, "huggingface", "hub"));
        out.add(home.resolve(".cache").resolve("huggingface").resolve("hub"));
        return out.stream().map(p -> p.toAbsolutePath().normalize()).distinct().toList();
    }

    /** The snapshot of {@code revision} (a ref name or a hash) in one model's cache folder. */
    private static Path snapshot(Path dir, String id, String revision) throws IOException {
        Path ref = dir.resolve("refs").resolve(revision);
        if (Files.isRegularFile(ref)) {
            String hash = Files.readString(ref).trim();
            Path snap = dir.resolve("snapshots").resolve(hash);
            if (!hash.isEmpty() && !hash.contains("/") && Files.isDirectory(snap)) return snap;
            throw new NoSuchFileException(id + "@" + revision, null, ref + " names snapshot '" + hash
                    + "', which is not in the Hugging Face cache (an interrupted download?)");
        }
        Path snap = dir.resolve("snapshots").resolve(revision);
        if (!revision.contains("/") && Files.isDirectory(snap)) return snap;
        throw new NoSuchFileException(id + "@" + revision, null, "no such revision in the Hugging Face cache " + dir + " (refs: "
                + names(dir.resolve("refs")) + "; snapshots: " + names(dir.resolve("snapshots")) + ")");
    }

    private static String names(Path folder) throws IOException {
        if (!Files.isDirectory(folder)) return "none";
        try (Stream<Path> s = Files.list(folder)) {
            TreeSet<String> n = new TreeSet<>(s.map(p -> p.getFileName().toString()).toList());
            return n.isEmpty() ? "none" : String.join(", ", n);
        }
    }
}
