/*
 * The skills of the built-in benchmark, one task each, each with its own picture style and its
 * own instruction style so that tasks differ in both modalities (what ModalPrompt's dual queries can tell apart):
 *
 *   COLOUR     one large shape                      "What colour is the shape? Answer with one word."     red
 *   SHAPE      one shape, varied colour             "Name the shape in this picture."                     circle
 *   COUNT      1-4 small shapes                     "Count the shapes. How many are there?"               3
 *   SPATIAL    two shapes side by side              "Is the red shape left or right of the blue one?"     left
 *   DIGIT      one large digit, no shapes           "Read the digit written in the image."                7
 *   GROUNDING  two shapes, one named                "Where is the green square? Reply with its box."      [0.12, 0.34, 0.56, 0.78]
 *
 * Answers are short words, numbers or a box, so they can be scored exactly (grounding by IoU > 0.5). Boxes are
 * normalised by the canvas side and printed with two decimals, as LLaVA-1.5's grounding answers.
 *
 * Every item also carries its question in the base mix's neutral style (Item.baseQuestion: "Answer with the colour
 * of the shape.", "Answer with the box of the green square.", ...), the one style DemoBaseModel's instruction stage
 * uses for all skills; no task asks in it. Building it draws nothing from the generator, so items do not change.
 */
package dev.perennial.benchdata.shapes;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

public enum Skill {
    COLOUR("Colour"), SHAPE("Shape"), COUNT("Count"), SPATIAL("Spatial"), DIGIT("Digit"), GROUNDING("Grounding");

    /** The task name (CoIN-style folder name). */
    public final String task;

    Skill(String task) { this.task = task; }

    /**
     * One question about a generated scene.
     * @param question     the question in this task's instruction style
     * @param baseQuestion the same question in the base mix's neutral style
     * @param box          the answer box {x1, y1, x2, y2} normalised to [0, 1] (GROUNDING), else null
     */
    public record Item(Scene scene, String question, String baseQuestion, String answer, double[] box) {}

    /** A new item drawn from {@code rng} on a canvas of {@code size} pixels (size >= 24). */
    public Item generate(SplittableRandom rng, int size) {
        if (size < 24) throw new IllegalArgumentException("the canvas needs at least 24 pixels, got " + size);
        int bg = background(rng);
        Scene.Kind[] kinds = Scene.Kind.values();
        Scene.Colour[] colours = Scene.Colour.values();
        switch (this) {
            case COLOUR -> {
                Scene.Colour c = colours[rng.nextInt(colours.length)];
                Scene.Shape s = place(rng, size, kinds[rng.nextInt(kinds.length)], c, size / 2, size - 4);
                return new Item(new Scene(size, bg, List.of(s), null), "What colour is the shape? Answer with one word.",
                        "Answer with the colour of the shape.", c.word, null);
            }
            case SHAPE -> {
                Scene.Kind k = kinds[rng.nextInt(kinds.length)];
                Scene.Shape s = place(rng, size, k, colours[rng.nextInt(colours.length)], size / 2, size - 4);
                return new Item(new Scene(size, bg, List.of(s), null), "Name the shape in this picture.",
                        "Answer with the shape in the picture.", k.word, null);
            }
            case COUNT -> {
                int n = 1 + rng.nextInt(4);
                List<Scene.Shape> shapes = scatter(rng, size, n, kinds, colours);
                return new Item(new Scene(size, bg, shapes, null), "Count the shapes. How many are there?",
                        "Answer with how many shapes are in the picture.", String.valueOf(n), null);
            }
            case SPATIAL -> {
                int c1 = rng.nextInt(colours.length), c2 = (c1 + 1 + rng.nextInt(colours.length - 1)) % colours.length;
                int side = size / 3, y1 = rng.nextInt(size - side + 1), y2 = rng.nextInt(size - side + 1);
                int leftX = rng.nextInt(size / 2 - side + 1), rightX = size / 2 + rng.nextInt(size / 2 - side + 1);
                boolean firstLeft = rng.nextBoolean();
                Scene.Shape a = new Scene.Shape(kinds[rng.nextInt(kinds.length)], colours[c1], firstLeft ? leftX : rightX, y1, side);
                Scene.Shape b = new Scene.Shape(kinds[rng.nextInt(kinds.length)], colours[c2], firstLeft ? rightX : leftX, y2, side);
                String q = "Is the " + colours[c1].word + " shape left or right of the " + colours[c2].word + " one?";
                String base = "Answer with left or right: where is the " + colours[c1].word + " shape from the " + colours[c2].word + " one?";
                return new Item(new Scene(size, bg, List.of(a, b), null), q, base, firstLeft ? "left" : "right", null);
            }
            case DIGIT -> {
                int v = rng.nextInt(10), scale = Math.max(2, (size - 4) / 6);
                int x = rng.nextInt(Math.max(1, size - 3 * scale + 1)), y = rng.nextInt(Math.max(1, size - 5 * scale + 1));
                int rgb = colours[rng.nextInt(colours.length)].rgb;
                return new Item(new Scene(size, bg, List.of(), new Scene.Digit(v, x, y, scale, rgb)), "Read the digit written in the image.",
                        "Answer with the digit in the picture.", String.valueOf(v), null);
            }
            case GROUNDING -> {
                List<Scene.Shape> shapes = scatterDistinct(rng, size, 2, kinds, colours);
                Scene.Shape target = shapes.get(rng.nextInt(2));
                int[] b = target.box();
                double[] box = {(double) b[0] / size, (double) b[1] / size, (double) b[2] / size, (double) b[3] / size};
                String q = "Where is the " + target.colour().word + " " + target.kind().word + "? Reply with its box.";
                String base = "Answer with the box of the " + target.colour().word + " " + target.kind().word + ".";
                return new Item(new Scene(size, bg, shapes, null), q, base, formatBox(box), box);
            }
            default -> throw new AssertionError(this);
        }
    }

    /** "[0.12, 0.34, 0.56, 0.78]". */
    public static String formatBox(double[] box) {
        return String.format(Locale.ROOT, "[%.2f, %.2f, %.2f, %.2f]", box[0], box[1], box[2], box[3]);
    }

    private static int background(SplittableRandom rng) {
        int g = 16 + rng.nextInt(32);
        return g << 16 | g << 8 | g;
    }

    /** A shape of a side in [min, max] anywhere on the canvas. */
    private static Scene.Shape place(SplittableRandom rng, int size, Scene.Kind k, Scene.Colour c, int min, int max) {
        int side = min + rng.nextInt(max - min + 1);
        return new Scene.Shape(k, c, rng.nextInt(size - side + 1), rng.nextInt(size - side + 1), side);
    }

    /** n non-overlapping shapes in the cells of a 2 × 2 grid. */
    private static List<Scene.Shape> scatter(SplittableRandom rng, int size, int n, Scene.Kind[] kinds, Scene.Colour[] colours) {
        List<Integer> cells = new ArrayList<>(List.of(0, 1, 2, 3));
        List<Scene.Shape> out = new ArrayList<>();
        int cell = size / 2, side = cell * 3 / 4;
        for (int i = 0; i < n; i++) {
            int c = cells.remove(rng.nextInt(cells.size()));
            int x = (c % 2) * cell + rng.nextInt(cell - side + 1), y = (c / 2) * cell + rng.nextInt(cell - side + 1);
            out.add(new Scene.Shape(kinds[rng.nextInt(kinds.length)], colours[rng.nextInt(colours.length)], x, y, side));
        }
        return out;
    }

    /** n shapes as scatter(), all of different colour and kind pairs so a "colour kind" names exactly one. */
    private static List<Scene.Shape> scatterDistinct(SplittableRandom rng, int size, int n, Scene.Kind[] kinds, Scene.Colour[] colours) {
        while (true) {
            List<Scene.Shape> s = scatter(rng, size, n, kinds, colours);
            boolean distinct = true;
            for (int i = 0; i < s.size(); i++) {
                for (int j = i + 1; j < s.size(); j++) {
                    distinct &= s.get(i).colour() != s.get(j).colour() || s.get(i).kind() != s.get(j).kind();
                }
            }
            if (distinct) return s;
        }
    }
}
