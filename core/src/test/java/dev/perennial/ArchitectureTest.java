/*
 * The package whiteboard of docs/architecture.md ("Packages and the arrows between them") as a test: every package
 * of perennial-core may import only the packages listed for it there, so a forbidden import (prompt reaching into
 * select, tensor learning about files, a model package importing training) fails the build with the offending
 * class and line. Read from the compiled main classes with ArchUnit.
 */
package dev.perennial;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

class ArchitectureTest {
    /** Package (under dev.perennial) -> the packages it may import. The whiteboard, bottom up. */
    static final Map<String, List<String>> ALLOWED = new LinkedHashMap<>();

    static {
        ALLOWED.put("tensor", List.of());
        ALLOWED.put("io", List.of("tensor"));
        ALLOWED.put("autograd", List.of("tensor"));
        ALLOWED.put("image", List.of("tensor"));
        ALLOWED.put("text", List.of("tensor", "io"));
        ALLOWED.put("nn", List.of("tensor", "io"));
        ALLOWED.put("cluster", List.of("tensor", "io"));
        ALLOWED.put("data", List.of("tensor", "io", "image", "text"));
        ALLOWED.put("eval", List.of("tensor", "io", "text"));
        ALLOWED.put("llava", List.of("tensor", "io", "autograd", "image", "text", "nn"));
        ALLOWED.put("clip", List.of("tensor", "io", "image", "text", "nn", "llava"));
        ALLOWED.put("train", List.of("tensor", "io", "autograd", "nn", "data", "llava"));
        ALLOWED.put("select", List.of("tensor", "io", "autograd", "image", "text", "nn", "cluster", "data", "llava", "train"));
        ALLOWED.put("prompt", List.of("tensor", "io", "autograd", "image", "text", "nn", "cluster", "data", "llava", "clip", "train"));
        ALLOWED.put("lifelong", List.of("tensor", "io", "autograd", "image", "text", "nn", "cluster", "data", "eval", "llava", "clip",
                "train", "select", "prompt"));
    }

    static JavaClasses classes;

    @BeforeAll
    static void read() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.perennial");
    }

    @Test
    void everyPackageImportsOnlyWhatTheWhiteboardAllows() {
        Architectures.LayeredArchitecture layers = Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers();
        for (String p : ALLOWED.keySet()) layers = layers.layer(p).definedBy("dev.perennial." + p + "..");
        for (var e : ALLOWED.entrySet()) {
            layers = e.getValue().isEmpty() ? layers.whereLayer(e.getKey()).mayNotAccessAnyLayer()
                    : layers.whereLayer(e.getKey()).mayOnlyAccessLayers(e.getValue().toArray(String[]::new));
        }
        layers.check(classes);
    }

    @Test
    void everyPackageOfTheCoreIsOnTheWhiteboard() {
        for (var c : classes) {
            String pkg = c.getPackageName();
            if (!pkg.startsWith("dev.perennial.")) continue;
            String top = pkg.substring("dev.perennial.".length()).split("\\.")[0];
            assertTrue(ALLOWED.containsKey(top), c.getName() + " is in package " + top + ", which docs/architecture.md does not place");
        }
    }

    /** The library jar holds no demo or benchmark-data code: that lives in perennial-bench-data (examples/bench-data). */
    @Test
    void theCoreHoldsNoDemoCode() {
        for (var c : classes) {
            String name = c.getName();
            assertTrue(!name.startsWith("dev.perennial.lifelong.shapes.") && !c.getSimpleName().startsWith("Synthetic")
                    && !name.startsWith("dev.perennial.benchdata."), name + " is demo or benchmark-data code in perennial-core");
        }
    }

    /**
     * The public API speaks the project's and the JDK's types only: no Jackson (or other third-party) type in the
     * signature of a public method, constructor or field of a public class, generics included, so a consumer is not
     * tied to our JSON library's version (issue 21 item 4). SLF4J is not exposed either.
     */
    @Test
    void thePublicApiExposesNoThirdPartyType() {
        List<String> leaks = new java.util.ArrayList<>();
        for (var c : classes) {
            if (!c.getModifiers().contains(com.tngtech.archunit.core.domain.JavaModifier.PUBLIC) || c.isAnonymousClass()) continue;
            for (var m : c.getCodeUnits()) {
                if (!m.getModifiers().contains(com.tngtech.archunit.core.domain.JavaModifier.PUBLIC)) continue;
                List<com.tngtech.archunit.core.domain.JavaType> types = new java.util.ArrayList<>(m.getParameterTypes());
                types.add(m.getReturnType());
                for (var t : types) {
                    for (var raw : t.getAllInvolvedRawTypes()) if (thirdParty(raw.getName())) leaks.add(m.getFullName() + " uses " + raw.getName());
                }
            }
            for (var f : c.getFields()) {
                if (!f.getModifiers().contains(com.tngtech.archunit.core.domain.JavaModifier.PUBLIC)) continue;
                for (var raw : f.getType().getAllInvolvedRawTypes()) if (thirdParty(raw.getName())) leaks.add(f.getFullName() + " uses " + raw.getName());
            }
        }
        assertTrue(leaks.isEmpty(), String.join("\n", leaks));
    }

    private static boolean thirdParty(String type) {
        return type.startsWith("com.fasterxml.") || type.startsWith("org.slf4j.") || type.startsWith("org.knowm.");
    }
}
