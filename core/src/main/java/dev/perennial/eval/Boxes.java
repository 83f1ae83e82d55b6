/*
 * Grounding boxes (docs/methods/modalprompt.md §10.4): a robust parser and the IoU. The official scorer removes the brackets and
 * then drops the first and last character, which truncates a digit of y2 for "[0.12, 0.34, 0.56, 0.78]" (bug B10);
 * this parser instead takes every number in the text ("[0.1, 0.2, 0.3, 0.4]", "(0.1,0.2,0.3,0.4)", "x1=0.1 ...",
 * integers, text around them) and needs exactly four. Boxes are [x1, y1, x2, y2]; the IoU of boxes of zero area is
 * 0, and an inverted box (x2 < x1) is empty.
 */
package dev.perennial.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Grounding boxes {@code [x1, y1, x2, y2]}: {@code parse} takes the four numbers from an answer's text (null unless
 * there are exactly four finite ones), and {@code iou} is their intersection over union in [0, 1] (0 for an empty
 * union; an inverted box is empty).
 * <p>Stateless; its static methods are safe to call from several threads (its only static field is an immutable
 * {@code Pattern}).
 */
public final class Boxes {
    private static final Pattern NUMBER = Pattern.compile("[-+]?(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?");

    private Boxes() {}

    /** The four numbers of a box answer, or null when the text does not hold exactly four. */
    public static double[] parse(String text) {
        if (text == null) return null;
        List<Double> v = new ArrayList<>();
        Matcher m = NUMBER.matcher(text);
        while (m.find()) v.add(Double.parseDouble(m.group()));
        if (v.size() != 4) return null;
        for (double x : v) if (!Double.isFinite(x)) return null;
        return new double[]{v.get(0), v.get(1), v.get(2), v.get(3)};
    }

    /** Intersection over union of [x1, y1, x2, y2] boxes; 0 when the union is empty. */
    public static double iou(double[] a, double[] b) {
        double iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
        double ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
        double inter = iw * ih, union = area(a) + area(b) - inter;
        return union <= 0 ? 0 : inter / union;
    }

    private static double area(double[] b) {
        return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
    }
}
