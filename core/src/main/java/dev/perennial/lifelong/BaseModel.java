/*
 * The run's base model before any training, which answers the zero-shot row of every strategy's accuracy matrix: the
 * b̄_j of forward transfer (docs/methods/adapt-inf.md §8.2). Every strategy of a run starts from the same checkpoint,
 * so LifelongRun evaluates it once per run and keeps the row in the run folder; it opens the model only when that
 * row is not there yet, and closes it before any strategy loads its own copy.
 */
package dev.perennial.lifelong;

import java.io.IOException;
import java.util.List;

/**
 * The untrained base model of a lifelong run, answering test records as a strategy does (null where a record cannot be
 * answered); closing it frees the model. {@code of} answers with a {@code ModelSession} and no prompts or adapters.
 * <p>Not thread-safe (a {@code ModelSession} is not): use it from the thread that opened it.
 */
public interface BaseModel extends AutoCloseable {
    /** Answers {@code records} of {@code task}, in order. */
    List<String> answer(Task task, List<TestRecord> records) throws IOException;

    @Override
    void close() throws IOException;

    /** Opens the base model; a run calls it at most once, and not at all when its folder already holds the zero-shot row. */
    @FunctionalInterface
    interface Opener {
        BaseModel open() throws IOException;
    }

    /** The session's frozen model, greedy answers in batches of {@code answerBatch} up to {@code maxNewTokens} tokens. */
    static BaseModel of(ModelSession session, int answerBatch, int maxNewTokens) {
        return new BaseModel() {
            @Override
            public List<String> answer(Task task, List<TestRecord> records) throws IOException {
                return session.answer(task, records, answerBatch, maxNewTokens, null);
            }

            @Override
            public void close() throws IOException {
                session.close();
            }
        };
    }
}
