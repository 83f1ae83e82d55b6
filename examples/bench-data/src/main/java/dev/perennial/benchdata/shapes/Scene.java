/*
 * One picture of the built-in benchmark: a dark background, a few flat-coloured shapes and
 * optionally one digit, drawn on a small square canvas by exact rasterisation (pixel centres tested against the
 * shape), so the same scene gives the same pixels on every machine — no fonts, no anti-aliasing, no AWT drawing.
 */
package dev.perennial.benchdata.shapes;

import dev.perennial.image.RgbImage;

import java.util.List;

/**
 * @param size       canvas side in pixels
 * @param background background RGB (0xRRGGBB)
 * @param shapes     shapes, drawn in order
 * @param digit      the digit drawn (0-9), or null
 */
public record Scene(int size, int background, List<Shape> shapes, Digit digit) {
    /** The kinds of shape and their names in answers. */
    public enum Kind {
        CIRCLE("circle"), SQUARE("square"), TRIANGLE("triangle"), CROSS("cross");

        public final String word;

        Kind(String word) { this.word = word; }
    }

    /** The colours and their names in answers. */
    public enum Colour {
        RED("red", 0xE02020), GREEN("green", 0x20C040), BLUE("blue", 0x3050F0), YELLOW("yellow", 0xF0E020),
        PURPLE("purple", 0xA030D0), ORANGE("orange", 0xF08010);

        public final String word;
        public final int rgb;

        Colour(String word, int rgb) {
            this.word = word;
            this.rgb = rgb;
        }
    }

    /** A shape in the square [x, x + side) × [y, y + side). */
    public record Shape(Kind kind, Colour colour, int x, int y, int side) {
        /** Whether the pixel (px, py) belongs to the shape (its centre is inside). */
        public boolean covers(int px, int py) {
            double cx = px + 0.5, cy = py + 0.5;
            if (cx < x || cy < y || cx >= x + side || cy >= y + side) return false;
            double u = cx - x, v = cy - y, h = side / 2.0;
            return switch (kind) {
                case SQUARE -> true;
                case CIRCLE -> (u - h) * (u - h) + (v - h) * (v - h) <= h * h;
                case TRIANGLE -> Math.abs(u - h) <= v / 2;                          // apex at the top centre
                case CROSS -> Math.abs(u - h) <= side / 6.0 || Math.abs(v - h) <= side / 6.0;
            };
        }

        /** The tight pixel box {x0, y0, x1, y1} (x1, y1 exclusive) of the drawn pixels. */
        public int[] box() {
            int x0 = Integer.MAX_VALUE, y0 = Integer.MAX_VALUE, x1 = -1, y1 = -1;
            for (int py = y; py < y + side; py++) {
                for (int px = x; px < x + side; px++) {
                    if (!covers(px, py)) continue;
                    x0 = Math.min(x0, px);
                    y0 = Math.min(y0, py);
                    x1 = Math.max(x1, px + 1);
                    y1 = Math.max(y1, py + 1);
                }
            }
            return new int[]{x0, y0, x1, y1};
        }
    }

    /** A digit of a 3 × 5 bitmap font scaled by {@code scale}, top-left at (x, y). */
    public record Digit(int value, int x, int y, int scale, int rgb) {
        // rows of 3 bits, top to bottom
        private static final int[][] FONT = {
                {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
                {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 2, 2, 2}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};

        public Digit {
            if (value < 0 || value > 9) throw new IllegalArgumentException("a digit is 0-9, got " + value);
        }

        public boolean covers(int px, int py) {
            int col = Math.floorDiv(px - x, scale), row = Math.floorDiv(py - y, scale);
            if (col < 0 || col > 2 || row < 0 || row > 4) return false;
            return (FONT[value][row] >> (2 - col) & 1) == 1;
        }
    }

    public Scene {
        shapes = List.copyOf(shapes);
    }

    /**
     * A caption naming everything drawn, shapes from left to right: "a red circle", "a red circle and a blue
     * square", "a red circle, a blue square and a green cross", "the digit 7 in green" (the base model's
     * pre-training text: it ties colour, shape and digit words to pixels without any task's question style).
     */
    public String describe() {
        List<String> parts = new java.util.ArrayList<>();
        shapes.stream().sorted(java.util.Comparator.comparingInt(Shape::x))
                .forEach(s -> parts.add("a " + s.colour().word + " " + s.kind().word));
        if (digit != null) {
            String colour = java.util.Arrays.stream(Colour.values()).filter(c -> c.rgb == digit.rgb()).map(c -> c.word).findFirst().orElse("white");
            parts.add("the digit " + digit.value() + " in " + colour);
        }
        if (parts.isEmpty()) return "nothing";
        if (parts.size() == 1) return parts.get(0);
        return String.join(", ", parts.subList(0, parts.size() - 1)) + " and " + parts.get(parts.size() - 1);
    }

    /** The picture as RGB pixels. */
    public RgbImage render() {
        byte[] rgb = new byte[size * size * 3];
        for (int py = 0; py < size; py++) {
            for (int px = 0; px < size; px++) {
                int c = background;
                for (Shape s : shapes) if (s.covers(px, py)) c = s.colour().rgb;
                if (digit != null && digit.covers(px, py)) c = digit.rgb();
                int i = (py * size + px) * 3;
                rgb[i] = (byte) (c >> 16);
                rgb[i + 1] = (byte) (c >> 8);
                rgb[i + 2] = (byte) c;
            }
        }
        return RgbImage.of(size, size, rgb);
    }
}
