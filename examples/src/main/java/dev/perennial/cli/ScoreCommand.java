/*
 * `perennial score`: ADAPT-∞'s per-sample vectors and scores for a pool of LLaVA-JSON datasets (docs/methods/adapt-inf.md §2,
 * §4, §5; select.PoolScorer). Writes to --out: vectors.npy (float32 [N, k]; NaN rows for invalid samples),
 * NAME.npy (float32 [N]) per scorer, records.json (row -> source file, record index, id, and why it is invalid),
 * plus vectors.pnvec (the same vectors as a memory-mapped VectorStore, F32 or --store-dtype f16) and
 * progress.json; --resume continues an interrupted run of the same settings (io.OutputFolder guards --out: locked
 * while running, a finished or different run refused without --overwrite). A summary line goes to stdout, a
 * progress bar to stderr.
 *
 * The vectors are per-sample LoRA gradients (spec §2.3). A checkpoint without LoRA adapters (and no --adapter
 * folder, nor adapter_config.json in the model folder) gets fresh adapters of rank --lora-rank (default 8, alpha
 * 2·rank, seeded by --seed) on the chosen layers; a fresh adapter has B = 0, so the model's outputs are unchanged and
 * the feature is the B gradient, a seeded random sketch of each projection's weight gradient (LoraLayers).
 * Any model can score, e.g. a smaller proxy of the model being trained.
 */
package dev.perennial.cli;

import dev.perennial.data.ImageStore;
import dev.perennial.io.Fingerprint;
import dev.perennial.io.OutputFolder;
import dev.perennial.llava.LlavaChat;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.Lora;
import dev.perennial.select.EntropyScorer;
import dev.perennial.select.ImageGroundingScorer;
import dev.perennial.select.LoraLayers;
import dev.perennial.select.PerplexityScorer;
import dev.perennial.select.PoolScorer;
import dev.perennial.select.GradientProjection;
import dev.perennial.select.SampleVectors;
import dev.perennial.select.Scorer;
import dev.perennial.select.ScorerRegistry;
import dev.perennial.select.VectorStore;
import dev.perennial.tensor.DType;
import dev.perennial.train.NonLoraTrainables;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

@Command(name = "score", mixinStandardHelpOptions = true,
        description = "ADAPT-∞ sample vectors (projected LoRA gradients) and scores (ppl, el2n, entropy, grand, ig) of a data pool.")
final class ScoreCommand implements Callable<Integer> {
    enum Source { lora_grad, hidden_mean }

    enum Positions { all, response }

    enum StoreType { f32, f16 }

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, split = ",", description = "LLaVA-JSON files (comma-separated), scored in this order.")
    List<Path> data;

    @Option(names = "--images", description = "Folder the samples' image paths are relative to.")
    Path images;

    @Option(names = "--out", required = true, description = "Output folder.")
    Path out;

    @Option(names = "--scorers", split = ",", defaultValue = "ppl,el2n,entropy,grand,ig",
            description = "Scorers to compute (default: ${DEFAULT-VALUE}).")
    List<String> scorers;

    @Option(names = "--dim", defaultValue = "8192", description = "Projection dimension k (default ${DEFAULT-VALUE}; lora-grad only).")
    int dim;

    @Option(names = "--projection", defaultValue = "dense",
            description = "Projection matrix of lora-grad vectors: dense (default, the paper's Rademacher matrix, d·k multiply-adds per sample) "
                    + "or sparse (a block-sparse Johnson-Lindenstrauss matrix, 4 adds per gradient coordinate; other vectors, same distances).")
    ProjectionKind projection;

    /** The --projection values. */
    enum ProjectionKind { dense, sparse }

    @Option(names = "--seed", defaultValue = "0", description = "Seed of the projection and of fresh adapters (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--layers", split = ",", description = "Decoder layers whose LoRA gradients form the vector (default: the last); "
            + "with hidden-mean one hidden-state index (Hugging Face numbering, 0 = embeddings).")
    List<Integer> layers;

    @Option(names = "--vector-source", defaultValue = "lora-grad", converter = SourceConverter.class,
            description = "lora-grad (default) or hidden-mean.")
    Source source;

    @Option(names = "--compat", description = "The official code's ppl (log mean exp NLL) and IG (zero image, mixed aggregation).")
    boolean compat;

    @Option(names = "--entropy-positions", defaultValue = "all", description = "all (default, the official code) or response.")
    Positions entropyPositions;

    @Option(names = "--lora-rank", defaultValue = "8", description = "Rank of fresh adapters when the model has none (default ${DEFAULT-VALUE}).")
    int rank;

    @Option(names = "--lora-alpha", description = "Alpha of fresh adapters (default 2·rank).")
    Float alpha;

    @Option(names = "--adapter", description = "PEFT adapter folder to load (default: the model folder's, if it has adapter_config.json).")
    Path adapter;

    @Option(names = "--tokenizer", description = "tokenizer.json / tokenizer.model (default: from the model folder).")
    Path tokenizer;

    @Option(names = "--template", defaultValue = "vicuna_v1", description = "Conversation template (default ${DEFAULT-VALUE}).")
    String template;

    @Option(names = "--max-length", defaultValue = "2048", description = "Token limit per sample (default ${DEFAULT-VALUE}).")
    int maxLength;

    @Option(names = "--batch", defaultValue = "1", description = "Samples per model pass (default ${DEFAULT-VALUE}, the official setting).")
    int batch;

    @Option(names = "--parallel-samples", defaultValue = "auto",
            description = "Run the samples of a projection group on all CPU threads at once, each pass with serial kernels: auto (default: "
                    + "on for models up to 100M parameters on the CPU), on or off.")
    ParallelSamples parallelSamples;

    /** --parallel-samples: auto leaves the choice to ScoringPass.parallelByDefault. */
    enum ParallelSamples { auto, on, off }

    @Option(names = "--projection-group", description = "Consecutive samples whose gradients are projected together (default: "
            + "the largest power of two from 16 to 256 whose buffer of group × gradient length floats fits 256 MB; the official code uses 16).")
    Integer group;

    @Option(names = "--commit-every", defaultValue = "256", description = "Samples between durable progress points (default ${DEFAULT-VALUE}).")
    int commitEvery;

    @Option(names = "--store-dtype", defaultValue = "f32", description = "Precision of vectors.pnvec: f32 (default) or f16.")
    StoreType storeType;

    @Option(names = "--resume", description = "Continue the interrupted run in --out (same settings); a finished one is reported as it is.")
    boolean resume;

    @Mixin
    OutputGuard guard;

    static final class SourceConverter implements picocli.CommandLine.ITypeConverter<Source> {
        @Override
        public Source convert(String value) {
            return Source.valueOf(value.replace('-', '_'));
        }
    }

    @Override
    public Integer call() throws Exception {
        if (group != null && group < 1) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--projection-group must be at least 1, got " + group);
        }
        try (OutputFolder folder = OutputFolder.lock(out, "score")) {
            OutputFolder.Start start = folder.start(settings(), resume, guard.overwrite);
            score(start != OutputFolder.Start.FRESH);
            folder.finish();
        }
        return 0;
    }

    /** Everything the vectors and scores depend on. */
    private Fingerprint settings() throws java.io.IOException {
        Fingerprint.Builder f = Fingerprint.builder().put("data", OutputGuard.files(data)).put("images", OutputGuard.path(images))
                .put("model", OutputGuard.model(modelOptions.model())).put("vision-tower", OutputGuard.model(modelOptions.visionTower()))
                .put("adapter", adapter == null ? "from the model folder or fresh" : OutputGuard.model(adapter))
                .put("tokenizer", tokenizer == null ? "from the model folder" : Fingerprint.fileDigest(tokenizer))
                .put("template", template).put("max-length", maxLength).put("scorers", String.join(",", scorers)).put("dim", dim)
                .put("seed", seed).put("layers", layers).put("vector-source", source).put("compat", compat)
                .put("entropy-positions", entropyPositions).put("lora-rank", rank).put("lora-alpha", alpha).put("batch", batch).put("parallel-samples", parallelSamples)
                .put("projection-group", group == null ? "auto" : group).put("store-dtype", storeType);
        if (projection != ProjectionKind.dense) f.put("projection", projection);   // absent for the default: older runs still resume
        return f.build();
    }

    private void score(boolean resume) throws Exception {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        Tokenizer tok = Tokenizer.load(tokenizer != null ? tokenizer : modelOptions.model());
        try (LlavaModel m = modelOptions.load()) {
            SampleVectors.Source vectorSource = source == Source.lora_grad ? SampleVectors.Source.LORA_GRAD : SampleVectors.Source.HIDDEN_MEAN;
            List<Integer> chosen = layers == null || layers.isEmpty() ? LoraLayers.lastLayer(m) : layers;
            SampleVectors.Config vectors = new SampleVectors.Config(vectorSource, chosen, dim, seed,
                    projection == ProjectionKind.sparse ? GradientProjection.Kind.SPARSE : GradientProjection.Kind.DENSE);
            Map<String, Scorer> selected = registry().select(scorers);
            boolean gradient = vectorSource == SampleVectors.Source.LORA_GRAD
                    || selected.values().stream().anyMatch(s -> s.requirements().contains(Scorer.Requirement.GRADIENT));
            String adapters = "none";
            if (adapterDir() != null && NonLoraTrainables.present(adapterDir())) {   // the projector trained beside it
                NonLoraTrainables.load(adapterDir(), m, modelOptions.backend());
            }
            if (gradient) adapters = attachAdapters(m, chosen);
            else if (adapterDir() != null) {                       // hidden-mean vectors and scores of the adapted model
                Lora.load(adapterDir(), m.linears(), seed);
                adapters = "loaded from " + adapterDir();
            }
            ImageStore store = images == null ? null
                    : new ImageStore(images, LlavaChat.processorFor(modelOptions.model(), m), m.config().padImageToSquare());
            PoolScorer scorer = PoolScorer.builder().setModel(m, modelOptions.backend()).setTokenizer(tok).setDatasets(data)
                    .setOutput(out).optImages(store).optTemplate(ConversationTemplate.named(template)).optMaxLength(maxLength)
                    .optScorers(selected).optVectors(vectors).optStoreType(storeType == StoreType.f16 ? DType.F16 : DType.F32)
                    .optBatchSize(batch).optProjectionGroup(group == null ? 0 : group)
                    .optParallelSamples(parallelSamples == ParallelSamples.auto ? null : parallelSamples == ParallelSamples.on).optCommitEvery(commitEvery).optResume(resume).build();
            ProgressReporter progress = ProgressReporter.on(stderr, "score", "samples");
            PoolScorer.Result r = scorer.run((done, total, rate, eta) -> progress.update(done, total,
                    String.format(Locale.ROOT, "%.2f samples/s ETA %.0fs", rate, Double.isFinite(eta) ? eta : 0)));
            progress.finish();
            Path npy = out.resolve("vectors.npy");
            try (VectorStore v = VectorStore.open(r.vectors())) {
                if (!Files.exists(npy) || r.resumedFrom() < r.samples()) v.exportNpy(npy);
            }
            String invalid = r.invalid().entrySet().stream().map(e -> e.getValue() + " " + e.getKey().description())
                    .collect(Collectors.joining(", "));
            stdout.printf(Locale.ROOT, "scored %d samples (%d invalid%s; %d skipped JSON entries) in %.1f s, %.2f samples/s; "
                            + "vectors [%d, %d] from %s (adapters: %s); scores %s -> %s%n",
                    r.samples(), r.invalidCount(), invalid.isEmpty() ? "" : ": " + invalid, r.skippedJson(), r.seconds(),
                    (r.samples() - r.resumedFrom()) / Math.max(r.seconds(), 1e-9), r.samples(), scorer.vectorDim(),
                    source.name().replace('_', '-'), adapters, String.join(",", selected.keySet()), out);
            if (store != null && (store.missingCount() > 0 || store.corruptCount() > 0)) stdout.println("images: " + store.summary());
            stdout.flush();
        }
    }

    private ScorerRegistry registry() {
        EntropyScorer entropy = new EntropyScorer(entropyPositions == Positions.all ? EntropyScorer.Positions.ALL : EntropyScorer.Positions.RESPONSE);
        return compat
                ? ScorerRegistry.standard(new PerplexityScorer(PerplexityScorer.Aggregation.CODE_COMPAT), entropy,
                        new ImageGroundingScorer(ImageGroundingScorer.NoImageMode.ZERO_PIXELS, ImageGroundingScorer.PplAggregation.CODE_MIXED))
                : ScorerRegistry.standard(new PerplexityScorer(PerplexityScorer.Aggregation.LOG_PPL), entropy, ImageGroundingScorer.paper());
    }

    /** --adapter, else the model folder when it holds an adapter, else null. */
    private Path adapterDir() {
        return adapter != null ? adapter : Files.isRegularFile(modelOptions.model().resolve(Lora.CONFIG_FILE)) ? modelOptions.model() : null;
    }

    /** Loads --adapter or the model folder's adapter, else attaches fresh ones; says which. */
    private String attachAdapters(LlavaModel m, List<Integer> chosen) throws java.io.IOException {
        Path dir = adapterDir();
        if (dir != null) {
            Lora.load(dir, m.linears(), seed);
            return "loaded from " + dir;
        }
        LoraLayers.attachFresh(m, chosen, rank, alpha == null ? 2f * rank : alpha, seed);
        return "fresh, rank " + rank;
    }
}
