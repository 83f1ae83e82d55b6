/*
 * One held-out question of a task, read by TestRecords from either CoIN's test format
 * ({"question_id", "image", "text", "answer"}, grounding adds "answer_bbox" and "size", docs/methods/modalprompt.md §10.2) or a
 * LLaVA conversation (id, image, first human turn, first gpt turn).
 */
package dev.perennial.lifelong;

import java.util.List;

/**
 * One test question of a task with its reference answers (or grounding box), as read from a test split.
 * <p>A value carrier: the answers are an immutable copy, the size array is not copied; do not modify it while another
 * thread reads.
 *
 * @param id       question_id (or the conversation's id; the record index when there is none)
 * @param image    image path relative to the task's image root, or null
 * @param question the question text as the model is asked it (no image placeholder)
 * @param answers  the reference answers (one, or several as VQA's ten annotators)
 * @param box      grounding: the reference box string as given ("answer_bbox"), else null
 * @param size     grounding: the image [width, height] ("size"), else null
 */
public record TestRecord(String id, String image, String question, List<String> answers, String box, int[] size) {
    public TestRecord {
        answers = List.copyOf(answers);
    }

    /** What a scorer judges the answer against. */
    public dev.perennial.eval.Reference reference() {
        return new dev.perennial.eval.Reference(answers, box, size);
    }
}
