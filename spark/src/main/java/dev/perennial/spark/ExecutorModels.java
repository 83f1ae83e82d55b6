/*
 * The scoring model of an executor JVM: opened once per JVM and settings (memory-mapped weights, so the page cache
 * holds one copy per machine), shared by every task that JVM runs. It is set up exactly as `perennial score` sets
 * up its model: tokenizer from --tokenizer or the model folder, the model folder's PEFT adapter if it has one,
 * else fresh LoRA adapters of rank r (alpha 2r) seeded by --seed on the chosen layers (LoraLayers), the standard or
 * CODE_COMPAT scorers (ScorerRegistry), CLIP preprocessing from the model (LlavaChat.processorFor), the CPU backend,
 * and core's RowScorer over a ScoringPass. A ScoringPass is not thread-safe and a model pass already uses every
 * core of the JVM (Parallel), so the tasks of one executor score one group at a time, under the model's lock.
 */
package dev.perennial.spark;

import dev.perennial.data.ImageStore;
import dev.perennial.data.SampleEncoder;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.select.GradientProjection;
import dev.perennial.select.LoraLayers;
import dev.perennial.select.RowScorer;
import dev.perennial.select.SampleVectors;
import dev.perennial.select.Scorer;
import dev.perennial.select.ScorerRegistry;
import dev.perennial.select.ScoringPass;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.CpuBackend;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One scoring model per JVM and settings, shared by the JVM's tasks (see the file comment). */
final class ExecutorModels {
    /** An open scoring model; {@link #rows} is used under {@code synchronized (this)}. */
    static final class Scoring {
        final RowScorer rows;
        final int group, vectorDim;

        Scoring(RowScorer rows, int group, int vectorDim) {
            this.rows = rows;
            this.group = group;
            this.vectorDim = vectorDim;
        }
    }

    private static final Map<ScoreSettings, Scoring> OPEN = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    /** The JVM's scoring model for these settings, opened on first use. */
    static Scoring get(ScoreSettings s) {
        return OPEN.computeIfAbsent(s, ExecutorModels::open);
    }

    private static Scoring open(ScoreSettings s) {
        try {
            Path model = Path.of(s.model());
            if (!Files.isDirectory(model)) throw new IllegalArgumentException("--model " + model + " is not a folder on this machine");
            Backend be = new CpuBackend();
            Tokenizer tok = Tokenizer.load(s.tokenizer() != null ? Path.of(s.tokenizer()) : model);
            LlavaModel m = LlavaModel.load(model, null);            // kept open for the JVM's life (memory-mapped)
            List<Integer> chosen = s.layers() == null || s.layers().isEmpty() ? LoraLayers.lastLayer(m) : s.layers();
            if (Files.isRegularFile(model.resolve(Lora.CONFIG_FILE))) Lora.load(model, m.linears(), s.seed());
            else LoraLayers.attachFresh(m, chosen, s.loraRank(), 2f * s.loraRank(), s.seed());
            Map<String, Scorer> scorers = (s.compat() ? ScorerRegistry.codeCompat() : ScorerRegistry.standard()).select(s.scorers());
            Set<Scorer.Requirement> needs = EnumSet.noneOf(Scorer.Requirement.class);
            scorers.values().forEach(x -> needs.addAll(x.requirements()));
            SampleVectors.Config vectors = new SampleVectors.Config(SampleVectors.Source.LORA_GRAD, chosen, s.dim(), s.seed(),
                    GradientProjection.Kind.DENSE);
            ScoringPass pass = new ScoringPass(m, be, vectors, needs, vectors.projection().create(be), 1);
            ImageStore images = s.images() == null ? null
                    : new ImageStore(Path.of(s.images()), LlavaChat.processorFor(model, m), m.config().padImageToSquare());
            SampleEncoder encoder = new SampleEncoder(tok, ConversationTemplate.named(s.template()), m.config().imageTokenIndex(), images, s.maxLength());
            RowScorer rows = new RowScorer(m, encoder, images, pass, scorers.values());
            return new Scoring(rows, s.group() > 0 ? s.group() : pass.defaultGroup(), pass.vectorDim());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
