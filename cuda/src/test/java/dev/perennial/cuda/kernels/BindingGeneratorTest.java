/*
 * BindingGenerator reads the launchers of this module's headers and writes Java whose signatures follow from them:
 * every C ABI header's pn_* launchers are found with its C parameter types (every type it meets is in its table), names map
 * to camelCase, the interface and both bindings list each launcher exactly once with the mapped types, comments
 * inside parameter lists are ignored, and a type the generator does not know is refused naming header, launcher
 * and parameter.
 */
package dev.perennial.cuda.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class BindingGeneratorTest {
    static final Path KERNELS = Path.of("src/main/cuda");
    static final Set<String> NOT_LAUNCHERS = Set.of("simt_emu.h", "perennial_runtime.h");

    @TempDir
    Path out;

    @Test
    void readsADeclarationWithCommentsAndMapsItsTypes() {
        var ls = BindingGenerator.parse("x.h", """
                /* the header's own comment */
                #ifdef __cplusplus
                extern "C" {
                #endif
                int pn_foo_bar(const float* in /* [rows, cols] (a view) */, const unsigned char* mask,
                               float *out, int mask_rows, long long n, unsigned long long seed,
                               const long long* strides, double* partial, void* stream);  // trailing comment
                /* Does nothing. */
                void pn_ping(void);
                #ifdef __cplusplus
                }
                #endif
                """);
        assertEquals(2, ls.size());
        BindingGenerator.Launcher foo = ls.get(0);
        assertEquals("pn_foo_bar", foo.name());
        assertEquals(List.of("const float*", "const unsigned char*", "float*", "int", "long long", "unsigned long long",
                "const long long*", "double*", "void*"), foo.params().stream().map(BindingGenerator.Param::cType).toList());
        assertEquals("maskRows", BindingGenerator.camel(foo.params().get(3).name()));
        assertEquals("fooBar", BindingGenerator.camel(foo.name()));
        assertEquals("Does nothing.", ls.get(1).comment());
        assertTrue(ls.get(1).params().isEmpty());

        String iface = BindingGenerator.launcherInterface("a.b.Launchers", List.of(foo), "test");
        assertTrue(iface.contains("int fooBar(FloatPointer in, BytePointer mask, FloatPointer out, int maskRows, long n, long seed, "
                + "LongPointer strides, DoublePointer partial, Pointer stream);"), iface);
        String binding = BindingGenerator.binding("a.b.Lib", "thelib", List.of("x.h"), ls, "about", "test");
        assertTrue(binding.contains("public static native int pn_foo_bar(@Const FloatPointer in, @Cast(\"const unsigned char*\") BytePointer mask, "
                + "FloatPointer out, int maskRows, long n, @Cast(\"unsigned long long\") long seed, @Const LongPointer strides, "
                + "DoublePointer partial, Pointer stream);"), binding);
        assertTrue(binding.contains("public static native void pn_ping();"), binding);
        assertTrue(binding.contains("@Platform(value = \"linux-x86_64\", include = {\"x.h\"}, link = \"thelib\")"), binding);
    }

    @Test
    void anUnknownTypeIsRefusedByName() {
        var e = assertThrows(IllegalArgumentException.class, () -> BindingGenerator.parse("y.h", "int pn_q(short* s, void* stream);"));
        assertTrue(e.getMessage().startsWith("y.h: pn_q: parameter s has type 'short*'"), e.getMessage());
    }

    /** Every launcher header of this module parses, and the interface lists each launcher once. */
    @Test
    void everyKernelHeaderParses() throws IOException {
        Map<String, List<BindingGenerator.Launcher>> byHeader = BindingGenerator.read(List.of(KERNELS), NOT_LAUNCHERS);
        long headers;
        try (var s = Files.list(KERNELS)) {
            headers = s.filter(p -> p.toString().endsWith(".h") && !NOT_LAUNCHERS.contains(p.getFileName().toString()))
                    .filter(p -> { try { return Files.readString(p).contains("extern \"C\""); } catch (IOException x) { throw new RuntimeException(x); } })
                    .count();
        }
        assertEquals(headers, byHeader.size(), "every C ABI header (extern \"C\") has launchers: " + byHeader.keySet());
        List<BindingGenerator.Launcher> all = byHeader.values().stream().flatMap(List::stream).toList();
        assertTrue(all.size() >= 25, "launchers: " + all.size());
        BindingGenerator.main(new String[]{"--out", out.toString(), "--headers", KERNELS.toString(),
                "interface:p.Launchers:exclude=simt_emu.h+perennial_runtime.h", "binding:p.Emu:perennialemu:exclude=simt_emu.h"});
        String iface = Files.readString(out.resolve("p/Launchers.java"));
        for (BindingGenerator.Launcher l : all) {
            String m = " int " + BindingGenerator.camel(l.name()) + "(";
            assertEquals(iface.indexOf(m), iface.lastIndexOf(m), l.name() + " once");
            assertTrue(iface.contains(m), l.name());
        }
        assertTrue(Files.readString(out.resolve("p/Emu.java")).contains("pn_device_count"), "the runtime header is bound unless excluded");
    }
}
