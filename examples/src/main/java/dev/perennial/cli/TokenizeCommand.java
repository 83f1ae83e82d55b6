/*
 * `perennial tokenize --tokenizer FILE TEXT`: prints the token ids of TEXT as a JSON array, e.g.
 *
 *   $ perennial tokenize --tokenizer tokenizer.json 'Hello world!'
 *   [1, 15043, 3186, 29991]
 *
 * FILE is a tokenizer.json, a SentencePiece tokenizer.model or a model folder (Tokenizer.load). --no-bos
 * leaves out <s>; --image-token-id N splits TEXT at "<image>" and puts N there, as LLaVA's
 * tokenizer_image_token does (-200 for original LLaVA, 32000 for llava-hf; llava-reference.md, "Real
 * LLaVA-1.5 preprocessing and prompt facts", Image token).
 */
package dev.perennial.cli;

import dev.perennial.text.ImageTokens;
import dev.perennial.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the LLaMA token ids of TEXT as a JSON array.")
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
            description = "A tokenizer.json, a SentencePiece tokenizer.model, or a model folder holding one.")
    Path tokenizer;

    @Option(names = "--no-bos", description = "Do not put <s> in front.")
    boolean noBos;

    @Option(names = "--image-token-id", paramLabel = "N",
            description = "Replace each <image> in TEXT by the id N (LLaVA: -200 original, 32000 llava-hf).")
    Integer imageTokenId;

    @Parameters(paramLabel = "TEXT", description = "The text to tokenize.")
    String text;

    @Override
    public Integer call() throws Exception {
        Tokenizer t = Tokenizer.load(tokenizer);
        int[] ids = imageTokenId == null ? t.encode(text, !noBos) : ImageTokens.encode(t, text, imageTokenId, !noBos);
        PrintWriter out = spec.commandLine().getOut();
        out.println(Arrays.toString(ids));
        out.flush();
        return 0;
    }
}
