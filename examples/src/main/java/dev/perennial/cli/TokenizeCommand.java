/*
 * `perennial tokenize (--tokenizer FILE | --clip VOCAB_DIR) TEXT`: prints the token ids of TEXT as a JSON array, e.g.
 *
 *   $ perennial tokenize --tokenizer tokenizer.json 'Hello world!'
 *   [1, 15043, 3186, 29991]
 *   $ perennial tokenize --clip clip-tokenizer 'a photo of a cat'
 *   [49406, 320, 1125, 539, 320, 2368, 49407]
 *
 * --tokenizer: the LLaMA tokenizer from a tokenizer.json, a SentencePiece tokenizer.model or a model folder
 * (Tokenizer.load). --no-bos leaves out <s>; --image-token-id N splits TEXT at "<image>" and puts N there, as
 * LLaVA's tokenizer_image_token does (-200 for original LLaVA, 32000 for llava-hf; docs/methods/llava-numerics.md, "Real
 * LLaVA-1.5 preprocessing and prompt facts", Image token).
 * --clip: the CLIP BPE tokenizer from a folder with vocab.json and merges.txt (ClipTokenizer: the ids of
 * transformers' CLIPTokenizerFast, <|startoftext|> ... <|endoftext|>, at most 77), which ModalPrompt encodes
 * its text queries with; the LLaMA options do not apply to it.
 */
package dev.perennial.cli;

import dev.perennial.text.ClipTokenizer;
import dev.perennial.text.ImageTokens;
import dev.perennial.text.Tokenizer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Print the LLaMA (--tokenizer) or CLIP (--clip) token ids of TEXT as a JSON array.")
final class TokenizeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    TokenizerChoice vocabulary;

    /** Exactly one of the two tokenizers. */
    static final class TokenizerChoice {
        @Option(names = "--tokenizer", required = true, paramLabel = "FILE",
                description = "LLaMA: a tokenizer.json, a SentencePiece tokenizer.model, or a model folder holding one.")
        Path tokenizer;

        @Option(names = "--clip", required = true, paramLabel = "VOCAB_DIR",
                description = "CLIP: a folder holding vocab.json and merges.txt.")
        Path clip;
    }

    @Option(names = "--no-bos", description = "LLaMA: do not put <s> in front.")
    boolean noBos;

    @Option(names = "--image-token-id", paramLabel = "N",
            description = "LLaMA: replace each <image> in TEXT by the id N (LLaVA: -200 original, 32000 llava-hf).")
    Integer imageTokenId;

    @Parameters(paramLabel = "TEXT", description = "The text to tokenize.")
    String text;

    @Override
    public Integer call() throws Exception {
        int[] ids;
        if (vocabulary.clip != null) {
            if (noBos || imageTokenId != null) {
                throw new ParameterException(spec.commandLine(), "--no-bos and --image-token-id apply to --tokenizer, not --clip");
            }
            ids = ClipTokenizer.load(vocabulary.clip).encode(text);
        } else {
            Tokenizer t = Tokenizer.load(vocabulary.tokenizer);
            ids = imageTokenId == null ? t.encode(text, !noBos) : ImageTokens.encode(t, text, imageTokenId, !noBos);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(Arrays.toString(ids));
        out.flush();
        return 0;
    }
}
