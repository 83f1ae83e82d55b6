/*
 * The Java side of the kernels' C ABI, generated from the headers at build time (docs/kernels.md, "Adding a
 * kernel"): a launcher's signature is written once, in its .h, and the build derives from it
 *   - the launcher interface (perennial-native's KernelLaunchers: one method per launcher, camelCase name, the C
 *     parameter names in camelCase, JavaCPP pointer types), and
 *   - each JavaCPP binding class (the emulated build's EmuKernels, the nvcc build's CudaKernels): `public static
 *     native` methods named as in C, with @Const/@Cast where the C type needs them, and the @Platform annotation
 *     listing the headers and the library to link.
 * native/pom.xml runs main() in generate-sources: `--extract DIR` first copies this artifact's non-class files (the
 * kernel sources under dev/perennial/cuda/kernels/ and, where nvcc built it, libperennialcuda.so) from wherever the
 * artifact is on the class path — its jar, or target/classes in a reactor build that has not packaged it yet — and
 * the bindings are then generated from those headers (and native's own emulator header). The parser reads the declarations this project writes: `int|void|const char* pn_name(type
 * name /* comment *&#47;, ...);` inside extern "C"; a parameter type outside the table below is refused, naming the
 * header, launcher and parameter, so a new type is a conscious one-line addition here.
 */
package dev.perennial.cuda.kernels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Generates the Java launcher interface and the JavaCPP binding classes of the CUDA kernels from their C headers.
 * {@code parse} reads one header's launchers, {@code launcherInterface} and {@code binding} write Java source, and
 * {@code main} runs both over header folders (the build's entry point).
 * <p>Stateless; its static methods are safe to call from several threads.
 */
public final class BindingGenerator {
    private BindingGenerator() {}

    /** One C parameter: its normalised type (e.g. "const float*") and name. */
    public record Param(String cType, String name) {}

    /** One launcher as declared in {@code header}: return type, C name, parameters and the comment just above it (or ""). */
    public record Launcher(String header, String returnType, String name, List<Param> params, String comment) {}

    /** Java type (with JavaCPP annotations for bindings) of each C parameter type the headers may use. */
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("int", "int"), Map.entry("float", "float"), Map.entry("double", "double"),
            Map.entry("long long", "long"), Map.entry("unsigned long long", "@Cast(\"unsigned long long\") long"),
            Map.entry("size_t", "@Cast(\"size_t\") long"),
            Map.entry("float*", "FloatPointer"), Map.entry("const float*", "@Const FloatPointer"),
            Map.entry("double*", "DoublePointer"), Map.entry("const double*", "@Const DoublePointer"),
            Map.entry("int*", "IntPointer"), Map.entry("const int*", "@Const IntPointer"),
            Map.entry("long long*", "LongPointer"), Map.entry("const long long*", "@Const LongPointer"),
            Map.entry("void*", "Pointer"), Map.entry("const void*", "@Const Pointer"),
            Map.entry("unsigned char*", "@Cast(\"unsigned char*\") BytePointer"),
            Map.entry("const unsigned char*", "@Cast(\"const unsigned char*\") BytePointer"));
    private static final Map<String, String> RETURNS = Map.of("int", "int", "void", "void", "const char*", "@Const String");

    private static final Pattern DECLARATION = Pattern.compile(
            "(?:/\\*(?<comment>(?:(?!\\*/).)*)\\*/\\s*)?\\b(?<ret>int|void|const\\s+char\\s*\\*)\\s*(?<name>pn_\\w+)\\s*\\((?<params>[^;{]*?)\\)\\s*;",
            Pattern.DOTALL);
    private static final Pattern PARAM = Pattern.compile("^(?<type>.*?)\\s*\\b(?<name>[A-Za-z_]\\w*)$");

    /** The launchers ({@code pn_*} functions) declared in one header's text. */
    public static List<Launcher> parse(String header, String text) {
        String code = text.replaceAll("//[^\\n]*", "");
        List<Launcher> out = new ArrayList<>();
        Matcher m = DECLARATION.matcher(code);
        while (m.find()) {
            String name = m.group("name");
            List<Param> params = new ArrayList<>();
            String list = m.group("params").replaceAll("(?s)/\\*.*?\\*/", " ").trim();
            if (!list.isEmpty() && !list.equals("void")) {
                for (String p : list.split(",")) {
                    Matcher pm = PARAM.matcher(p.trim().replaceAll("\\s+", " "));
                    if (!pm.matches() || pm.group("type").isBlank()) {
                        throw new IllegalArgumentException(header + ": " + name + ": cannot read the parameter '" + p.trim() + "'");
                    }
                    String type = normalise(pm.group("type"));
                    if (!TYPES.containsKey(type)) {
                        throw new IllegalArgumentException(header + ": " + name + ": parameter " + pm.group("name") + " has type '" + type
                                + "', which BindingGenerator does not map (known: " + String.join(", ", new java.util.TreeSet<>(TYPES.keySet())) + ")");
                    }
                    params.add(new Param(type, pm.group("name")));
                }
            }
            String comment = m.group("comment") == null ? "" : m.group("comment").replaceAll("(?m)^\\s*\\*?\\s?", "").trim();
            out.add(new Launcher(header, normalise(m.group("ret")), name, List.copyOf(params), comment));
        }
        return out;
    }

    /** "const  float *" -> "const float*". */
    static String normalise(String cType) {
        return cType.trim().replaceAll("\\s+", " ").replaceAll("\\s*\\*", "*");
    }

    /** snake_case -> camelCase; a leading "pn_" is dropped (pn_softmax_rows -> softmaxRows). */
    public static String camel(String snake) {
        String s = snake.startsWith("pn_") ? snake.substring(3) : snake;
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : s.toCharArray()) {
            if (c == '_') {
                up = b.length() > 0;
                continue;
            }
            b.append(up ? Character.toUpperCase(c) : c);
            up = false;
        }
        return b.toString();
    }

    /** The C declaration as one line, for documentation. */
    static String declaration(Launcher l) {
        List<String> ps = new ArrayList<>();
        for (Param p : l.params()) ps.add(p.cType() + " " + p.name());
        return l.returnType() + " " + l.name() + "(" + String.join(", ", ps) + ")";
    }

    private static String javadoc(Launcher l, String indent) {
        StringBuilder b = new StringBuilder(indent + "/**\n");
        b.append(indent).append(" * {@code ").append(html(declaration(l))).append("} (").append(l.header()).append(").\n");
        if (!l.comment().isEmpty()) {
            b.append(indent).append(" * <p>\n");
            for (String line : l.comment().split("\n")) b.append(indent).append(" * ").append(html(line)).append('\n');
        }
        return b.append(indent).append(" */\n").toString();
    }

    private static String html(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "&#64;").replace("*/", "*&#47;");
    }

    /** The interface with one method per int launcher (camelCase name and parameters, plain pointer types). */
    public static String launcherInterface(String qualifiedName, List<Launcher> launchers, String sources) {
        int dot = qualifiedName.lastIndexOf('.');
        StringBuilder b = new StringBuilder(header(sources));
        b.append("package ").append(qualifiedName, 0, dot).append(";\n\n").append(imports(false)).append('\n');
        b.append("/**\n * The kernels' C ABI launchers as Java methods, one per {@code pn_*} launcher of the headers (generated by\n"
                + " * BindingGenerator): method {@code fooBar} is launcher {@code pn_foo_bar} with the same parameters in the same\n"
                + " * order; every method returns the launcher's cudaError_t (0 = success).\n"
                + " * <p>Implementations wrap one JavaCPP binding; thread-safety is the binding's (the launchers are C functions).\n */\n");
        b.append("public interface ").append(qualifiedName.substring(dot + 1)).append(" {\n");
        for (Launcher l : launchers) {
            if (!l.returnType().equals("int")) throw new IllegalArgumentException(l.header() + ": launcher " + l.name() + " must return int (a cudaError_t)");
            b.append('\n').append(javadoc(l, "    ")).append("    int ").append(camel(l.name())).append('(');
            List<String> ps = new ArrayList<>();
            for (Param p : l.params()) ps.add(TYPES.get(p.cType()).replaceAll("@\\w+(\\(\"[^\"]*\"\\))? ", "") + " " + camel(p.name()));
            b.append(String.join(", ", ps)).append(");\n");
        }
        return b.append("}\n").toString();
    }

    /** A JavaCPP binding class: @Platform(include = headers, link = library) and one static native method per launcher. */
    public static String binding(String qualifiedName, String library, List<String> headers, List<Launcher> launchers, String about, String sources) {
        int dot = qualifiedName.lastIndexOf('.');
        String simple = qualifiedName.substring(dot + 1);
        StringBuilder b = new StringBuilder(header(sources));
        b.append("package ").append(qualifiedName, 0, dot).append(";\n\n").append(imports(true)).append('\n');
        b.append("/**\n * ").append(html(about)).append("\n * <p>Generated by BindingGenerator from the C headers; the raw C ABI (device pointers, cudaError_t results).\n"
                + " * Thread-safety is the C functions': each launch is independent.\n */\n");
        b.append("@Platform(value = \"linux-x86_64\", include = {");
        List<String> quoted = new ArrayList<>();
        for (String h : headers) quoted.add('"' + h + '"');
        b.append(String.join(", ", quoted)).append("}, link = \"").append(library).append("\")\n");
        b.append("public final class ").append(simple).append(" {\n    static { Loader.load(); }\n\n    private ").append(simple).append("() {}\n");
        for (Launcher l : launchers) {
            b.append('\n').append(javadoc(l, "    ")).append("    public static native ").append(RETURNS.get(l.returnType())).append(' ')
                    .append(l.name()).append('(');
            List<String> ps = new ArrayList<>();
            for (Param p : l.params()) ps.add(TYPES.get(p.cType()) + " " + camel(p.name()));
            b.append(String.join(", ", ps)).append(");\n");
        }
        return b.append("}\n").toString();
    }

    private static String header(String sources) {
        return "/*\n * GENERATED by dev.perennial.cuda.kernels.BindingGenerator from " + sources + " at build time: do not edit.\n"
                + " * A launcher's signature lives in its C header only (docs/kernels.md, \"Adding a kernel\").\n */\n";
    }

    private static String imports(boolean annotations) {
        StringBuilder b = new StringBuilder();
        for (String c : List.of("BytePointer", "DoublePointer", "FloatPointer", "IntPointer")) b.append("import org.bytedeco.javacpp.").append(c).append(";\n");
        if (annotations) b.append("import org.bytedeco.javacpp.Loader;\n");
        b.append("import org.bytedeco.javacpp.LongPointer;\nimport org.bytedeco.javacpp.Pointer;\n");
        if (annotations) {
            b.append("import org.bytedeco.javacpp.annotation.Cast;\nimport org.bytedeco.javacpp.annotation.Const;\nimport org.bytedeco.javacpp.annotation.Platform;\n");
        }
        return b.toString();
    }

    /** Every *.h of {@code dirs} (sorted by name) except {@code exclude}, parsed: header name -> launchers. */
    public static Map<String, List<Launcher>> read(List<Path> dirs, Set<String> exclude) throws IOException {
        Map<String, List<Launcher>> out = new java.util.TreeMap<>();
        for (Path dir : dirs) {
            try (Stream<Path> s = Files.list(dir)) {
                for (Path h : s.filter(p -> p.getFileName().toString().endsWith(".h")).sorted().toList()) {
                    String name = h.getFileName().toString();
                    if (exclude.contains(name)) continue;
                    List<Launcher> ls = parse(name, Files.readString(h, StandardCharsets.UTF_8));
                    if (!ls.isEmpty()) out.put(name, ls);
                }
            }
        }
        return out;
    }

    /**
     * Copies every file of this artifact under dev/perennial/cuda/ that is not a class file (kernel sources, the
     * nvcc library) into {@code dir}, keeping paths; works from the jar and from an unpackaged classes folder.
     * Returns how many files were copied.
     */
    public static int extract(Path dir) throws IOException {
        Path source;
        try {
            source = Path.of(BindingGenerator.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException | SecurityException | NullPointerException e) {
            throw new IOException("cannot locate the perennial-cuda artifact: " + e, e);
        }
        String prefix = "dev/perennial/cuda/";
        int copied = 0;
        if (Files.isDirectory(source)) {
            Path root = source.resolve(prefix);
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(Files::isRegularFile).filter(f -> !f.toString().endsWith(".class")).toList()) {
                    Path target = dir.resolve(source.relativize(f).toString());
                    copied += copyIfChanged(Files.readAllBytes(f), target);
                }
            }
        } else {
            try (java.util.jar.JarFile jar = new java.util.jar.JarFile(source.toFile())) {
                for (var e : java.util.Collections.list(jar.entries())) {
                    if (e.isDirectory() || !e.getName().startsWith(prefix) || e.getName().endsWith(".class")) continue;
                    try (var in = jar.getInputStream(e)) {
                        copied += copyIfChanged(in.readAllBytes(), dir.resolve(e.getName()));
                    }
                }
            }
        }
        return copied;
    }

    private static int copyIfChanged(byte[] bytes, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        if (!Files.exists(target) || !java.util.Arrays.equals(Files.readAllBytes(target), bytes)) Files.write(target, bytes);
        return 1;
    }

    /**
     * Build entry point: {@code [--extract DIR] --out DIR --headers DIR[,DIR...]} followed by tasks, each
     * {@code interface:NAME[:exclude=a.h+b.h]} or {@code binding:NAME:LIBRARY[:exclude=a.h+b.h]}.
     */
    public static void main(String[] args) throws IOException {
        Path out = null;
        List<Path> dirs = new ArrayList<>();
        List<String> tasks = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--headers" -> { for (String d : args[++i].split(",")) dirs.add(Path.of(d.trim())); }
                case "--extract" -> {
                    Path dir = Path.of(args[++i]);
                    System.out.println("BindingGenerator: " + extract(dir) + " kernel files -> " + dir);
                }
                default -> tasks.add(args[i]);
            }
        }
        if (out == null || dirs.isEmpty() || tasks.isEmpty()) {
            throw new IllegalArgumentException("usage: BindingGenerator --out DIR --headers DIR[,DIR] interface:NAME[:exclude=a.h+b.h] binding:NAME:LIB[:exclude=...]");
        }
        String sources = String.join(", ", dirs.stream().map(d -> d.getFileName().toString() + "/*.h").toList());
        for (String task : tasks) {
            String[] f = task.split(":");
            Set<String> exclude = new java.util.HashSet<>();
            for (String x : f) if (x.startsWith("exclude=")) exclude.addAll(List.of(x.substring(8).split("\\+")));
            Map<String, List<Launcher>> byHeader = read(dirs, exclude);
            List<Launcher> all = byHeader.values().stream().flatMap(List::stream).toList();
            String name = f[1], code = switch (f[0]) {
                case "interface" -> launcherInterface(name, all, sources);
                case "binding" -> binding(name, f[2], List.copyOf(byHeader.keySet()), all,
                        "JavaCPP binding of the kernel launchers in lib" + f[2] + " (headers: " + String.join(", ", byHeader.keySet()) + ").", sources);
                default -> throw new IllegalArgumentException("unknown task " + task);
            };
            Path file = out.resolve(name.replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            if (!Files.exists(file) || !Files.readString(file, StandardCharsets.UTF_8).equals(code)) {
                Files.writeString(file, code, StandardCharsets.UTF_8);      // unchanged files keep their time: no needless recompiles
            }
            System.out.println("BindingGenerator: " + file + " (" + all.size() + " launchers)");
        }
    }
}
