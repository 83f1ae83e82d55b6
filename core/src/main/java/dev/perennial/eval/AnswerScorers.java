/*
 * The answer scorers by name, an open registry (docs/methods/modalprompt.md §10.4, one per CoIN task, plus the built-in
 * benchmark's). standard() holds:
 *   scienceqa    option letter (ScienceQaAnswer) equals the reference letter / index
 *   vqa          VQA soft accuracy over VqaNormalizer-normalised answers: with n >= 2 references, the mean over the n
 *                leave-one-out subsets of min(1, matches / 3) (TextVQA; 10 references give the usual values); with one
 *                reference, exact match after normalisation
 *   exact        the stripped prediction equals a reference
 *   exact_upper  equal after upper-casing both (VizWiz, VQAv2 in CoIN)
 *   exact_lower  equal after lower-casing both; an answer containing "Unanswerable" is wrong (OCR-VQA)
 *   gqa          lower-cased, one trailing "." removed, then equal (GQA)
 *   substring    the reference contains the prediction or the prediction contains the reference, case-sensitive;
 *                an empty prediction is wrong (ImageNet; the official scorer counts "" as right, bug B11)
 *   grounding    IoU of the parsed boxes > 0.5 (Boxes; the official parser truncates digits, bug B10)
 *   short        trimmed, lower-cased, a trailing "." removed, then equal (the built-in benchmark's word answers)
 * register() adds a scorer; names are unique.
 */
package dev.perennial.eval;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The answer scorers by name, an open registry: {@code standard()} holds {@code scienceqa}, {@code vqa}, {@code exact},
 * {@code exact_upper}, {@code exact_lower}, {@code gqa}, {@code substring}, {@code grounding} and {@code short}, and
 * {@code register} adds one under a new name. {@code vqaAccuracy} is the VQA soft accuracy, a fraction in [0, 1].
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its map is an unsynchronized
 * {@code LinkedHashMap} that {@code register} changes. The standard scorers it hands out keep no state.
 */
public final class AnswerScorers {
    private final Map<String, AnswerScorer> byName = new LinkedHashMap<>();

    private AnswerScorers() {}

    /** Every scorer above. */
    public static AnswerScorers standard() {
        AnswerScorers r = new AnswerScorers();
        r.register(of("scienceqa", (p, ref) -> {
            int got = ScienceQaAnswer.parse(p.strip());
            return got >= 0 && got == ScienceQaAnswer.reference(first(ref)) ? 1.0 : 0.0;
        }));
        r.register(of("vqa", (p, ref) -> vqaAccuracy(p, ref)));
        r.register(of("exact", (p, ref) -> any(ref, a -> p.strip().equals(a.strip()))));
        r.register(of("exact_upper", (p, ref) -> any(ref, a -> p.strip().toUpperCase(Locale.ROOT).equals(a.strip().toUpperCase(Locale.ROOT)))));
        r.register(of("exact_lower", (p, ref) -> p.contains("Unanswerable") ? 0
                : any(ref, a -> p.strip().toLowerCase(Locale.ROOT).equals(a.strip().toLowerCase(Locale.ROOT)))));
        r.register(of("gqa", (p, ref) -> any(ref, a -> gqa(p).equals(gqa(a)))));
        r.register(of("substring", (p, ref) -> p.isEmpty() ? 0 : any(ref, a -> !a.isEmpty() && (a.contains(p) || p.contains(a)))));
        r.register(of("grounding", (p, ref) -> {
            double[] got = Boxes.parse(p), want = Boxes.parse(ref.box() != null ? ref.box() : first(ref));
            if (want == null) throw new IllegalArgumentException("the grounding reference is not a box: " + ref.box());
            return got != null && Boxes.iou(got, want) > 0.5 ? 1.0 : 0.0;
        }));
        r.register(of("short", (p, ref) -> any(ref, a -> simple(p).equals(simple(a)))));
        return r;
    }

    /** Adds a scorer; IllegalArgumentException if its name is taken. */
    public void register(AnswerScorer s) {
        if (byName.putIfAbsent(s.name(), s) != null) throw new IllegalArgumentException("a scorer named " + s.name() + " exists");
    }

    /** The scorer called {@code name}; IllegalArgumentException listing the known names otherwise. */
    public AnswerScorer get(String name) {
        AnswerScorer s = byName.get(name);
        if (s == null) throw new IllegalArgumentException("unknown answer scorer " + name + " (known: " + String.join(", ", byName.keySet()) + ")");
        return s;
    }

    /** VQA soft accuracy of one prediction (see the class comment). */
    public static double vqaAccuracy(String prediction, Reference ref) {
        if (ref.answers().isEmpty()) throw new IllegalArgumentException("VQA accuracy needs reference answers");
        String p = VqaNormalizer.normalize(prediction);
        String[] gt = ref.answers().stream().map(VqaNormalizer::normalize).toArray(String[]::new);
        if (gt.length == 1) return p.equals(gt[0]) ? 1 : 0;
        int matches = 0;
        for (String g : gt) if (g.equals(p)) matches++;
        double sum = 0;
        for (String g : gt) {
            int others = matches - (g.equals(p) ? 1 : 0);                                // matches among the other n - 1
            sum += Math.min(1.0, others / 3.0);
        }
        return sum / gt.length;
    }

    private static String gqa(String s) {
        String x = s.strip().toLowerCase(Locale.ROOT);
        return x.endsWith(".") ? x.substring(0, x.length() - 1) : x;
    }

    private static String simple(String s) {
        String x = s.strip().toLowerCase(Locale.ROOT);
        return x.endsWith(".") ? x.substring(0, x.length() - 1).strip() : x;
    }

    private static String first(Reference ref) {
        if (ref.answers().isEmpty()) throw new IllegalArgumentException("no reference answer");
        return ref.answers().get(0);
    }

    private static double any(Reference ref, java.util.function.Predicate<String> match) {
        if (ref.answers().isEmpty()) throw new IllegalArgumentException("no reference answer");
        for (String a : ref.answers()) if (match.test(a)) return 1;
        return 0;
    }

    private static AnswerScorer of(String name, BiFunction<String, Reference, Double> f) {
        return new AnswerScorer() {
            @Override public String name() { return name; }
            @Override public double score(String prediction, Reference reference) { return f.apply(prediction, reference); }
        };
    }
}
