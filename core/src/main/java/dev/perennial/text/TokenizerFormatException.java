/*
 * The one exception for a tokenizer file (HF tokenizer.json or SentencePiece tokenizer.model) that is malformed
 * or asks for something this tokenizer does not implement (a Unigram model, NFKC normalisation, ...).
 *
 * dev.perennial.io.TensorFormatException does not fit: its Defect kinds describe tensor containers. Like it,
 * this is an IOException (a bad file is an input problem the caller must handle), carries the file, and its
 * message is one line "<file>: <detail>" that the command line prints as is.
 */
package dev.perennial.text;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@code IOException} for a tokenizer file ({@code tokenizer.json} or {@code tokenizer.model}) that is malformed or
 * asks for something this tokenizer does not implement; its message is one line, {@code file: detail}.
 * <p>Thread-safe: its own field (the file) is final and immutable, and the state it inherits from {@code Throwable} is
 * synchronized there.
 */
public final class TokenizerFormatException extends IOException {
    private final Path file;

    public TokenizerFormatException(Path file, String detail) {
        this(file, detail, null);
    }

    public TokenizerFormatException(Path file, String detail, Throwable cause) {
        super(file + ": " + detail.replaceAll("\\p{Cntrl}+", " "), cause);
        this.file = file;
    }

    /** The tokenizer file that was rejected. */
    public Path file() { return file; }
}
