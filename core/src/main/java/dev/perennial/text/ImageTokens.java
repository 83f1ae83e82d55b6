/*
 * LLaVA's tokenizer_image_token (llava/mm_utils.py; docs/methods/llava-numerics.md, "Real LLaVA-1.5 preprocessing and
 * prompt facts", Image token): the prompt is split on "<image>", every chunk is tokenized on its own (each with
 * its own dummy-prefix "▁"), <s> is kept only in front of the first chunk, and the chunks are joined with the
 * image token id. That id is either the original LLaVA placeholder -200 (replaced by the projected image
 * features inside the model) or the HF form, the id of the "<image>" added token (32000 for llava-hf; the tiny
 * test checkpoint's config says 300).
 *
 * "USER: <image>\nWhat" therefore becomes [1, 3148, 1001, 29901, 29871, IMG, 29871, 13, 5618, ...]: the
 * "▁" (29871) after the image is the dummy prefix of the second chunk. An empty chunk (a prompt that starts or
 * ends with "<image>") contributes no ids. With LLaMA tokenizers every chunk begins with <s>, so "keep <s> only
 * on the first chunk" is the same as encoding the chunks without <s> and putting one <s> in front.
 */
package dev.perennial.text;

import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * LLaVA's {@code tokenizer_image_token}: the token ids of a prompt with every {@code <image>} placeholder replaced by
 * the image token id (-200 in original LLaVA, the added token's id in llava-hf), each text chunk tokenized on its own.
 * <p>Stateless; its static methods are safe to call from several threads (no static mutable state; a {@link Tokenizer}
 * is safe to share).
 */
public final class ImageTokens {
    /** The image placeholder in LLaVA prompts and conversation data (DEFAULT_IMAGE_TOKEN). */
    public static final String PLACEHOLDER = "<image>";
    /** The image token id of original LLaVA (IMAGE_TOKEN_INDEX in llava/constants.py). */
    public static final int ORIGINAL_IMAGE_TOKEN_ID = -200;

    private ImageTokens() {}

    /** The ids of prompt with every "<image>" replaced by imageTokenId; <s> in front when addBos. */
    public static int[] encode(Tokenizer tokenizer, String prompt, int imageTokenId, boolean addBos) {
        IntStream.Builder ids = IntStream.builder();
        if (addBos) ids.add(tokenizer.bosId());
        String[] chunks = prompt.split(Pattern.quote(PLACEHOLDER), -1);
        for (int i = 0; i < chunks.length; i++) {
            if (i > 0) ids.add(imageTokenId);
            for (int id : tokenizer.encode(chunks[i], false)) ids.add(id);
        }
        return ids.build().toArray();
    }
}
