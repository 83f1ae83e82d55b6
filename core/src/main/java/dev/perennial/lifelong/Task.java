/*
 * One task of a lifelong run: a name, a training split in LLaVA conversation JSON, a test split
 * (CoIN test records or LLaVA conversations, see TestRecords), the folder both splits' image paths are relative to,
 * and the name of the scorer that judges its answers (dev.perennial.eval).
 */
package dev.perennial.lifelong;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One task of a lifelong run: its training conversations, its test records, where its images are and how its answers
 * are scored.
 * <p>Immutable; safe to share between threads.
 *
 * @param name      the task's name (a folder-safe word, e.g. "ScienceQA")
 * @param train     LLaVA-JSON training conversations
 * @param test      test records (may be null: the task is trained but not evaluated)
 * @param imageRoot image paths of both splits are relative to this folder
 * @param scorer    the answer scorer's registry name
 */
public record Task(String name, Path train, Path test, Path imageRoot, String scorer) {
    public Task {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(train, "train");
        Objects.requireNonNull(imageRoot, "imageRoot");
        Objects.requireNonNull(scorer, "scorer");
        if (!name.matches("[A-Za-z0-9._-]+")) throw new IllegalArgumentException("task names use letters, digits, '.', '_' and '-': " + name);
    }
}
