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

/**
 * A continual-learning strategy: {@code learn} trains on one task per step under a fixed per-step budget of samples,
 * {@code answer} answers any task's test records (null where a record cannot be answered), and {@code save} and
 * {@code restore} persist what it needs to resume after its last finished step.
 * <p>Thread-safety is the implementation's; the standard ones ({@code LoraStrategy}'s subclasses and
 * {@code PromptPoolStrategy}) are not thread-safe: use each from one thread.
 */
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
