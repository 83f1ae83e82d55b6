/*
 * A checkpoint whose tensors do not fit the model its config describes: every missing, unexpected and
 * mis-shaped tensor is listed by name in one exception, so one run tells the user all
 * that is wrong instead of the first problem only.
 */
package dev.perennial.llava;

import java.io.IOException;
import java.util.List;

/**
 * The {@code IOException} for a checkpoint whose tensors do not fit the model its config describes: every missing,
 * unexpected and mis-shaped tensor is listed by name, in one message and in three lists.
 * <p>Thread-safe: its fields are final immutable lists ({@code List.copyOf}), and the state it inherits from
 * {@code Throwable} is synchronized there.
 */
public final class CheckpointMismatchException extends IOException {
    private final List<String> missing, unexpected, misShaped;

    public CheckpointMismatchException(String checkpoint, List<String> missing, List<String> unexpected, List<String> misShaped) {
        super(message(checkpoint, missing, unexpected, misShaped));
        this.missing = List.copyOf(missing);
        this.unexpected = List.copyOf(unexpected);
        this.misShaped = List.copyOf(misShaped);
    }

    private static String message(String checkpoint, List<String> missing, List<String> unexpected, List<String> misShaped) {
        StringBuilder sb = new StringBuilder(checkpoint).append(": checkpoint does not match the model config");
        if (!missing.isEmpty()) sb.append("; missing ").append(missing.size()).append(": ").append(String.join(", ", missing));
        if (!unexpected.isEmpty()) sb.append("; unexpected ").append(unexpected.size()).append(": ").append(String.join(", ", unexpected));
        if (!misShaped.isEmpty()) sb.append("; wrong shape ").append(misShaped.size()).append(": ").append(String.join(", ", misShaped));
        return sb.toString();
    }

    /** Names (as stored) of tensors the model needs but the checkpoint lacks. */
    public List<String> missing() { return missing; }

    /** Names of tensors in the checkpoint the model has no place for. */
    public List<String> unexpected() { return unexpected; }

    /** "name: expected [..], found [..]" for tensors with the wrong shape. */
    public List<String> misShaped() { return misShaped; }
}
