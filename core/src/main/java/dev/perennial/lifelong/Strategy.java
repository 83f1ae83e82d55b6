/*
 * A continual-learning strategy behind one interface: it learns one task per step from that
 * step's training data under a fixed per-step budget, answers any task's test questions with what it has learned,
 * and saves / restores everything it needs to continue (so a killed run resumes after its last finished step).
 * Implementations: SequentialFineTuning (the forgetting baseline), RandomReplay, MultiTaskTraining (the upper
 * bound), and the method strategies.
 */
package dev.perennial.lifelong;

import dev.perennial.data.LlavaSample;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

public interface Strategy extends AutoCloseable {
    /** What a step did. @param trainingSamples samples trained on (each epoch counts them once) */
    record StepOutcome(int trainingSamples, double firstLoss, double lastLoss) {}

    String name();

    /** Learns task number {@code step} from its training conversations. */
    StepOutcome learn(int step, Task task, List<LlavaSample> train) throws IOException;

    /** Answers (null where a record could not be answered, e.g. its image is missing). */
    List<String> answer(Task task, List<TestRecord> records) throws IOException;

    /** Writes its state into {@code dir} (an empty folder; the caller commits it atomically). */
    void save(Path dir) throws IOException;

    /** Restores the state save() wrote after step {@code step}. */
    void restore(Path dir, int step) throws IOException;

    @Override
    void close() throws IOException;
}
