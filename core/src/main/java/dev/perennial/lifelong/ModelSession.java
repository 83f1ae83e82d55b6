/*
 * One strategy's model in a lifelong run: the frozen LLaVA checkpoint loaded once, with its tokenizer, template,
 * backend and one image store per image root. It turns a task's conversations into training examples and answers
 * test records (greedy generation in batches, each sample's own prompt embeddings optional), which is all the
 * strategies need from the model besides their own trainable tensors.
 */
package dev.perennial.lifelong;

import dev.perennial.data.ImageLoad;
import dev.perennial.data.ImagePathException;
import dev.perennial.data.ImageStore;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.data.TrainingExample;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.Generator;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.llava.PromptInsertion;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.tensor.TensorScope;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One strategy's frozen LLaVA model in a lifelong run, with its tokenizer, conversation template, backend, maximum
 * sequence length in tokens and one image store per image root: it turns samples into {@code TrainingExample}s and
 * answers test records greedily in batches (null for a record whose image cannot be loaded).
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); its image stores are cached in an
 * unsynchronized {@code HashMap}.
 */
public final class ModelSession implements AutoCloseable {
    private final Path modelDir;
    private final LlavaModel model;
    private final Tokenizer tokenizer;
    private final ConversationTemplate template;
    private final Backend be;
    private final int maxLength;
    private final Map<Path, ImageStore> stores = new HashMap<>();

    public ModelSession(Path modelDir, Tokenizer tokenizer, ConversationTemplate template, Backend be, int maxLength) throws IOException {
        this.modelDir = modelDir;
        this.model = LlavaModel.load(modelDir);
        this.tokenizer = tokenizer;
        this.template = template;
        this.be = be;
        this.maxLength = maxLength;
    }

    public LlavaModel model() { return model; }
    public Tokenizer tokenizer() { return tokenizer; }
    public ConversationTemplate template() { return template; }
    public Backend backend() { return be; }
    /** The length limit of the run's samples in positions (the run file's max_length). */
    public int maxLength() { return maxLength; }

    /**
     * Stops a step that would train on nothing (SampleEncoder.requireTrainable, naming the task and max_length) instead
     * of letting the strategy go on with an untrained step.
     */
    public void requireTrainable(Task task, List<TrainingExample> examples, int total) {
        try {
            SampleEncoder.requireTrainable(examples, total, maxLength, "max_length");
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("task " + task.name() + ": " + e.getMessage(), e);
        }
    }

    /** The image store for a task's image root (created once). */
    public ImageStore images(Path root) throws IOException {
        ImageStore s = stores.get(root);
        if (s == null) {
            s = new ImageStore(root, LlavaChat.processorFor(modelDir, model), model.config().padImageToSquare());
            stores.put(root, s);
        }
        return s;
    }

    /** The encoder for a task's samples (its image root). */
    public SampleEncoder encoder(Task task) throws IOException {
        return new SampleEncoder(tokenizer, template, model.config().imageTokenIndex(), images(task.imageRoot()), maxLength);
    }

    /** Training examples of {@code samples}; samples whose image cannot be loaded are skipped (and counted by the encoder). */
    public List<TrainingExample> examples(Task task, List<LlavaSample> samples) throws IOException {
        SampleEncoder enc = encoder(task);
        List<TrainingExample> out = new ArrayList<>();
        for (LlavaSample s : samples) {
            try {
                enc.encode(s).ifPresent(out::add);
            } catch (ImagePathException e) {
                throw new IOException(task.name() + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** A test record as a one-turn conversation (its question after the image placeholder). */
    public static LlavaSample asSample(TestRecord r, int index) {
        String q = r.image() == null ? r.question() : "<image>\n" + r.question();
        return new LlavaSample(index, r.id(), r.image() == null ? List.of() : List.of(r.image()), List.of(ConversationTurn.human(q)));
    }

    /**
     * Greedy answers to {@code records}, in batches; null for a record whose image cannot be loaded (scored wrong).
     * @param prompts per batch of samples, the prompt embeddings to insert (null: none)
     */
    public List<String> answer(Task task, List<TestRecord> records, int batch, int maxNewTokens,
                               Function<List<LlavaSample>, List<PromptInsertion>> prompts) throws IOException {
        ImageStore store = images(task.imageRoot());
        GenerationConfig gen = GenerationConfig.greedy(maxNewTokens, model.config().text().eosTokenId())
                .withMaskIdsFrom(tokenizer.vocabSize());
        Generator generator = new Generator(model, be);
        String[] answers = new String[records.size()];
        for (int start = 0; start < records.size(); start += batch) {
            List<LlavaSample> samples = new ArrayList<>();
            List<long[]> ids = new ArrayList<>();
            List<Tensor> pixels = new ArrayList<>();
            List<Integer> at = new ArrayList<>();
            for (int i = start; i < Math.min(records.size(), start + batch); i++) {
                LlavaSample s = asSample(records.get(i), i);
                Tensor px = null;
                if (s.hasImage()) {
                    ImageLoad load;
                    try {
                        load = store.load(s.images().get(0));
                    } catch (ImagePathException e) {
                        throw new IOException(task.name() + ": " + e.getMessage(), e);
                    }
                    if (load instanceof ImageLoad.Failed) continue;
                    px = ((ImageLoad.Loaded) load).pixels().unsqueeze(0);
                }
                int[] p = template.generationIds(tokenizer, s.conversations(), model.config().imageTokenIndex());
                samples.add(s);
                ids.add(Arrays.stream(p).asLongStream().toArray());
                if (px != null) pixels.add(px);
                at.add(i);
            }
            if (samples.isEmpty()) continue;
            try (TensorScope ignored = TensorScope.open()) {
                Tensor px = pixels.isEmpty() ? null : be.concat(pixels, 0);
                List<long[]> out = generator.generate(ids, px, gen, null, prompts == null ? null : prompts.apply(samples)).tokens();
                for (int k = 0; k < out.size(); k++) answers[at.get(k)] = decode(out.get(k));
            }
        }
        return Arrays.asList(answers);
    }

    private String decode(long[] ids) {
        int eos = model.config().text().eosTokenId();
        return tokenizer.decode(Arrays.stream(ids).mapToInt(Math::toIntExact).filter(i -> i != eos).toArray(), true).strip();
    }

    @Override
    public void close() throws IOException {
        model.close();
    }
}
