/*
 * One sample of a LLaVA training file (llava/train/train.py LazySupervisedDataset; LLaVA-665K, LLaVA-Pretrain):
 *   {"id": "000000033471", "image": "coco/train2017/000000033471.jpg",
 *    "conversations": [{"from": "human", "value": "<image>\nWhat are ...?"}, {"from": "gpt", "value": "..."}]}
 * "image" is absent for text-only samples (the ShareGPT part of LLaVA-665K) and a list in some multi-image
 * datasets, so images holds 0..n paths, relative to the dataset's image folder (ImageStore resolves them).
 * The id is optional in the format (null when absent; numeric ids are kept as their JSON text); index is the
 * sample's position in the file's top-level array, counted from 0, so that messages can name a sample either way.
 */
package dev.perennial.data;

import dev.perennial.text.ConversationTurn;

import java.util.List;

/**
 * One sample of a LLaVA training file: its 0-based index in the file's top-level array, its optional id (null when
 * absent), zero or more image paths relative to the dataset's image folder, and its conversation turns.
 * <p>Immutable; safe to share between threads (the constructor copies both lists into unmodifiable lists of strings and
 * immutable turn records).
 */
public record LlavaSample(int index, String id, List<String> images, List<ConversationTurn> conversations) {

    public LlavaSample {
        images = List.copyOf(images);
        conversations = List.copyOf(conversations);
    }

    public boolean hasImage() { return !images.isEmpty(); }

    /** "sample 12 (id "000000033471")" — how every message names this sample. */
    public String describe() { return describe(index, id); }

    static String describe(int index, String id) {
        return "sample " + index + (id == null ? "" : " (id \"" + id + "\")");
    }
}
