/*
 * What a test question's answer is judged against (docs/methods/modalprompt.md §10.2): one or more reference answers (VQA's ten
 * annotators, or one) and, for grounding, the reference box string and the image size.
 */
package dev.perennial.eval;

import java.util.List;

/**
 * A test item's references as a task scorer sees them: the accepted answers, or a grounding box and image size.
 * <p>A value carrier: the answers are an immutable copy, the size array is not copied; do not modify it while another
 * thread reads.
 *
 * @param answers reference answers (may be empty for grounding)
 * @param box     grounding: the reference box as written ("[x1, y1, x2, y2]"), else null
 * @param size    grounding: [width, height] of the image, else null
 */
public record Reference(List<String> answers, String box, int[] size) {
    public Reference {
        answers = List.copyOf(answers);
    }

    public static Reference of(String... answers) { return new Reference(List.of(answers), null, null); }
}
