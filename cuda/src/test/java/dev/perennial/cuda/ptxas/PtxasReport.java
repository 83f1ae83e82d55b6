/*
 * Reads the ptxas resource report the nvcc build writes (cuda/target/ptxas-report.txt, `-Xptxas -v`) into one
 * entry per kernel and architecture, and renders the table docs/kernels.md carries: registers, static shared
 * memory, stack, spills, barriers, the threads per block from the kernel's __launch_bounds__ in the source, and
 * the occupancy that implies on an H100 (sm_90) by the CUDA occupancy rules.
 */
package dev.perennial.cuda.ptxas;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

final class PtxasReport {
    record Kernel(String name, String arch, int registers, int smem, int stack, int spillStores, int spillLoads,
                  int barriers) {}

    private static final Pattern ENTRY = Pattern.compile("Compiling entry function '(\\S+)' for '(sm_\\d+)'");
    private static final Pattern FRAME = Pattern.compile("(\\d+) bytes stack frame, (\\d+) bytes spill stores, (\\d+) bytes spill loads");
    private static final Pattern USED = Pattern.compile("Used (\\d+) registers(?:, used (\\d+) barriers)?(?:, (\\d+) bytes smem)?");
    private static final Pattern BOUNDS = Pattern.compile("__launch_bounds__\\(\\s*([A-Za-z_0-9 *]+?)\\s*(?:,[^)]*)?\\)\\s*(\\w+)\\s*\\(");

    private static final Map<Character, String> BUILTIN_TYPES = Map.of('i', "int", 'j', "unsigned", 'l', "long",
            'm', "unsigned long", 'x', "long long", 'y', "unsigned long long", 'f', "float", 'd', "double", 'b', "bool");

    private PtxasReport() {}

    static List<Kernel> parse(Path report) throws IOException {
        List<Kernel> out = new ArrayList<>();
        String name = null, arch = null;
        int stack = 0, stores = 0, loads = 0;
        for (String line : Files.readAllLines(report)) {
            Matcher m = ENTRY.matcher(line);
            if (m.find()) {
                name = demangle(m.group(1));
                arch = m.group(2);
                continue;
            }
            m = FRAME.matcher(line);
            if (m.find() && name != null) {
                stack = Integer.parseInt(m.group(1));
                stores = Integer.parseInt(m.group(2));
                loads = Integer.parseInt(m.group(3));
                continue;
            }
            m = USED.matcher(line);
            if (m.find() && name != null) {
                out.add(new Kernel(name, arch, Integer.parseInt(m.group(1)), m.group(3) == null ? 0 : Integer.parseInt(m.group(3)),
                        stack, stores, loads, m.group(2) == null ? 0 : Integer.parseInt(m.group(2))));
                name = null;
            }
        }
        return out;
    }

    /**
     * The readable name of an Itanium-mangled kernel: its identifier after any namespaces (the anonymous one
     * included) plus integer template arguments, e.g. attention_fwd_kernel<64>. Unknown shapes are returned as is.
     */
    static String demangle(String mangled) {
        if (!mangled.startsWith("_Z")) return mangled;
        int i = 2;
        boolean nested = i < mangled.length() && mangled.charAt(i) == 'N';
        if (nested) i++;
        String last = null;
        StringBuilder templ = new StringBuilder();
        while (i < mangled.length() && Character.isDigit(mangled.charAt(i))) {
            int j = i;
            while (Character.isDigit(mangled.charAt(j))) j++;
            int len = Integer.parseInt(mangled.substring(i, j));
            last = mangled.substring(j, j + len);
            i = j + len;
            if (i < mangled.length() && mangled.charAt(i) == 'I') {          // template arguments
                i++;
                List<String> args = new ArrayList<>();
                while (i < mangled.length() && mangled.charAt(i) != 'E') {
                    Matcher lit = Pattern.compile("L[ijlmb](n?\\d+)E").matcher(mangled).region(i, mangled.length());
                    String type = BUILTIN_TYPES.get(mangled.charAt(i));
                    if (lit.lookingAt()) {
                        args.add(lit.group(1).replace('n', '-'));
                        i = lit.end();
                    } else if (type != null) {                               // a builtin type argument
                        args.add(type);
                        i++;
                    } else {
                        return last + "<?>";
                    }
                }
                i++;
                templ.setLength(0);
                templ.append('<').append(String.join(", ", args)).append('>');
            }
            if (!nested) break;
        }
        return last == null ? mangled : last + templ;
    }

    /** Threads per block of each kernel, from `__launch_bounds__(N) name(` in the sources (N: literals, constexprs, products). */
    static Map<String, Integer> launchBounds(Path sourceDir) throws IOException {
        Map<String, Integer> bounds = new HashMap<>();
        try (Stream<Path> files = Files.list(sourceDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).toList()) {
                String src = Files.readString(f);
                Matcher m = BOUNDS.matcher(src);
                while (m.find()) {
                    Integer n = resolve(src, m.group(1));
                    if (n != null) bounds.put(m.group(2), n);
                }
            }
        }
        return bounds;
    }

    // A literal, a constexpr int of the file, or a product of those (e.g. kColumns * kRowLanes).
    private static Integer resolve(String src, String expr) {
        if (expr.contains("*")) {
            int product = 1;
            for (String factor : expr.split("\\*")) {
                Integer f = resolve(src, factor.trim());
                if (f == null) return null;
                product *= f;
            }
            return product;
        }
        String token = expr.trim();
        if (token.matches("\\d+")) return Integer.parseInt(token);
        Matcher c = Pattern.compile("constexpr\\s+int\\s+" + Pattern.quote(token) + "\\s*=\\s*(\\d+)\\s*;").matcher(src);
        return c.find() ? Integer.parseInt(c.group(1)) : null;
    }

    /**
     * Resident blocks per SM on an H100 (sm_90: 65536 registers allocated per warp in units of 256, 2048 threads,
     * 32 blocks, 228 KiB shared memory with 1 KiB reserved per block) for a kernel of `threads` threads using
     * `regs` registers per thread and `smem` bytes of static shared memory.
     */
    static int h100BlocksPerSm(int threads, int regs, int smem) {
        int warps = (threads + 31) / 32;
        int regsPerWarp = ((regs * 32 + 255) / 256) * 256;
        int byRegs = regsPerWarp == 0 ? 32 : 65536 / (regsPerWarp * warps);
        int bySmem = (228 * 1024) / (smem + 1024);
        int byThreads = 2048 / (warps * 32);
        return Math.min(32, Math.min(byRegs, Math.min(bySmem, byThreads)));
    }

    /** The markdown table docs/kernels.md carries between its ptxas markers. */
    static String table(List<Kernel> kernels, Map<String, Integer> bounds) {
        StringBuilder sb = new StringBuilder();
        sb.append("| kernel | arch | registers | static smem | stack | spill stores / loads | barriers | threads | H100 blocks/SM (occupancy) |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Kernel k : kernels.stream().sorted(java.util.Comparator.comparing(Kernel::name).thenComparing(Kernel::arch)).toList()) {
            String base = k.name().replaceAll("<.*", "");
            Integer threads = bounds.get(base);
            String occ = "—";
            if (threads != null && k.arch().equals("sm_90")) {
                int blocks = h100BlocksPerSm(threads, k.registers(), k.smem());
                occ = blocks + " (" + Math.round(100.0 * blocks * ((threads + 31) / 32) / 64) + "%)";
            }
            sb.append("| `").append(k.name()).append("` | ").append(k.arch()).append(" | ").append(k.registers())
                    .append(" | ").append(k.smem()).append(" B | ").append(k.stack()).append(" | ").append(k.spillStores())
                    .append(" / ").append(k.spillLoads()).append(" | ").append(k.barriers()).append(" | ")
                    .append(threads == null ? "—" : threads).append(" | ").append(occ).append(" |\n");
        }
        return sb.toString();
    }
}
