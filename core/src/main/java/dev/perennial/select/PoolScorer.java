/*
 * Scores a pool: runs a model over LLaVA-JSON datasets and writes, for every sample, its vector and one number per
 * requested scorer (docs/methods/adapt-inf.md Appendix A, the first loop of a step: "for z in P: fwd, scores, bwd, v[z]"; the
 * official model_data_scores_batched.py). Rows align positionally with the samples of the files, in file order.
 *
 * Output folder:
 *   vectors.pnvec   VectorStore [N, k] (F32 or F16): the sample vectors, NaN rows for invalid samples
 *   NAME.npy        float32 [N] per scorer (ScorerRegistry name), NaN for invalid samples
 *   records.json    [{"source": FILE, "record": i, "id": ID, "invalid": WHY?}, ...]: row -> the sample's file (as
 *                   given), its index in that file's array and its id; "invalid" only for invalid samples
 *   progress.json   the run's settings, committed row count, counts; "finished": true at the end
 *
 * Invalid samples never stop a run; each gets a row of NaN (vector and scores; NaN = missing, which k-means maps to
 * 0 and MultiWaySelection treats as ineligible) and is counted by reason: MISSING_IMAGE / UNREADABLE_IMAGE (LLaVA's
 * scripts drop samples whose image is missing, §1.4), IMAGE_OUTSIDE_ROOT, UNSUPPORTED (e.g. several images; a
 * conversation the template rejects) and NO_RESPONSE_TOKENS (nothing supervised, e.g. truncated away: PPL and
 * EL2N are undefined, the NaN of TokenScores). Well-formed JSON that is not a LLaVA sample is skipped by the reader
 * (InvalidSamples.SKIP) and has no row; records.json says which rows there are.
 *
 * Passes: ScoringPass over groups of `group` consecutive rows (the gradients of a group's valid samples are projected
 * together; default ScoringPass.defaultGroup(), 16 to 256 as memory allows), batchSize samples per model pass (default 1, the official setting); groups are
 * formed from consecutive rows from the start, so a run is deterministic for given settings. Progress is logged through SLF4J at most every
 * logInterval (samples/s, ETA from a first counting pass over the files) and offered to a listener after every
 * batch (the CLI's progress bar).
 *
 * Resume: rows are appended to vectors.pnvec.partial, scores.pnvec.partial (the score columns, [N, S]) and
 * records.jsonl.partial; every commitEvery rows all three are forced to disk and then progress.json is replaced
 * atomically with the new row count (commits fall on group boundaries). A killed run resumes from the last commit (later rows are cut off and
 * recomputed) and produces byte-identical outputs; the settings must be the same (progress.json keeps a
 * fingerprint: files, scorers, vector settings, batch size, group, model config and a checksum of the differentiated
 * LoRA tensors). At the end the vector store is renamed into place, the score columns become NAME.npy and the
 * records log becomes records.json, each atomically.
 */
package dev.perennial.select;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.data.ImageStore;
import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.data.SampleEncoder;
import dev.perennial.io.AtomicFiles;
import dev.perennial.io.Fingerprint;
import dev.perennial.io.Npy;
import dev.perennial.llava.LlavaModel;
import dev.perennial.nn.LoraAdapter;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.DType;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.Tokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Scores LLaVA-JSON datasets with a model for ADAPT-∞: for every sample, in file order, it writes a vector
 * ({@code vectors.pnvec}, {@code [N, k]} F32 or F16) and one float32 score per scorer ({@code NAME.npy}, {@code [N]}),
 * NaN rows for invalid samples, plus {@code records.json}; a killed run resumes to byte-identical outputs. Create one
 * with {@link #builder()}.
 * <p>Not thread-safe: confine an instance to one thread (or synchronise externally); {@code run} keeps the run's
 * fingerprint in an unsynchronized field, may capture activations in the model's LoRA adapters, and writes one output
 * folder, so make one call at a time.
 */
public final class PoolScorer {
    private static final Logger log = LoggerFactory.getLogger(PoolScorer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String VECTORS = "vectors.pnvec", SCORES = "scores.pnvec", RECORDS = "records.json",
            RECORDS_LOG = "records.jsonl.partial", PROGRESS = "progress.json";

    /** Why a sample has no vector and no scores. */
    public enum Invalid {
        MISSING_IMAGE("missing image"), UNREADABLE_IMAGE("unreadable image"), IMAGE_OUTSIDE_ROOT("image path outside the image folder"),
        UNSUPPORTED("unsupported sample"), NO_RESPONSE_TOKENS("no response tokens");

        private final String description;

        Invalid(String description) { this.description = description; }

        public String description() { return description; }
    }

    /** Receives the progress after every batch. */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total, double samplesPerSecond, double etaSeconds);
    }

    /**
     * @param samples      N, rows written (one per sample the readers returned)
     * @param invalid      invalid rows by reason (zero counts omitted)
     * @param skippedJson  well-formed JSON entries that are not LLaVA samples (no row)
     * @param truncated    samples cut to the maximum length (counted in this call only)
     * @param resumedFrom  rows already committed when this call started (0 for a fresh run, N for a finished one)
     * @param seconds      wall time of this call
     */
    public record Result(long samples, Map<Invalid, Long> invalid, long skippedJson, long truncated, long resumedFrom,
                         double seconds, Path vectors, Map<String, Path> scores, Path records) {
        public long invalidCount() { return invalid.values().stream().mapToLong(Long::longValue).sum(); }
    }

    private final LlavaModel model;
    private final List<Path> datasets;
    private final Path out;
    private final Map<String, Scorer> scorers;
    private final SampleVectors.Config vectorConfig;
    private final DType storeType;
    private final int batchSize, group, commitEvery;
    private final Duration logInterval;
    private final boolean resume;
    private final SampleEncoder encoder;
    private final ScoringPass pass;
    private final RowScorer rows;
    private final Builder settings;
    private Fingerprint fingerprint;

    private PoolScorer(Builder b) {
        this.model = b.model;
        this.datasets = List.copyOf(b.datasets);
        this.out = b.out;
        this.scorers = b.scorers;
        this.vectorConfig = b.vectors;
        this.storeType = b.storeType;
        this.batchSize = b.batchSize;
        this.commitEvery = b.commitEvery;
        this.logInterval = b.logInterval;
        this.resume = b.resume;
        this.encoder = new SampleEncoder(b.tokenizer, b.template, model.config().imageTokenIndex(), b.images, b.maxLength);
        Set<Scorer.Requirement> needs = EnumSet.noneOf(Scorer.Requirement.class);
        scorers.values().forEach(s -> needs.addAll(s.requirements()));
        GradientProjection projection = b.vectors.projection().create(b.projectionBackend != null ? b.projectionBackend : b.backend);
        this.pass = b.parallelSamples == null ? new ScoringPass(model, b.backend, vectorConfig, needs, projection, b.batchSize)
                : new ScoringPass(model, b.backend, vectorConfig, needs, projection, b.batchSize, b.parallelSamples);
        this.group = b.group > 0 ? b.group : pass.defaultGroup();
        this.rows = new RowScorer(model, encoder, b.images, pass, scorers.values());
        this.settings = b;
    }

    public static Builder builder() { return new Builder(); }

    /** The sample vectors' length (k, or the hidden size for HIDDEN_MEAN). */
    public int vectorDim() { return pass.vectorDim(); }

    /** Scores every sample of the datasets (or continues an interrupted run); see the class comment. */
    public Result run(Progress progress) throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        Path progressFile = out.resolve(PROGRESS);
        State state = new State();
        fingerprint = fingerprint(settings);
        if (Files.exists(progressFile)) {
            if (!resume) throw new IOException(out + " already holds a scoring run (" + PROGRESS + "); resume it or use an empty folder");
            JsonNode p = JSON.readTree(progressFile.toFile());
            Fingerprint stored = Fingerprint.of(p.path("settings").isObject() ? JSON.convertValue(p.get("settings"), java.util.Map.class) : null);
            if (!fingerprint.equals(stored)) {
                throw new IOException(out + ": the scoring run there used other settings (" + fingerprint.describeDifferences(stored, 6)
                        + "); use an empty folder");
            }
            state.rows = p.path("rows").asLong();
            state.recordBytes = p.path("recordBytes").asLong();
            p.path("invalid").fields().forEachRemaining(e -> state.invalid.put(Invalid.valueOf(e.getKey()), e.getValue().asLong()));
            if (p.path("finished").asBoolean()) {
                Sink.cleanUp(out);                                   // in case the run died just after finishing
                log.info("{}: the scoring run is already complete ({} samples)", out, state.rows);
                return result(state, state.rows, p.path("skippedJson").asLong(), 0, t0);
            }
        }
        long resumedFrom = state.rows;
        long total = countSamples();
        try (Sink sink = resumedFrom > 0 ? Sink.resume(out, pass.vectorDim(), storeType, scorers.size(), resumedFrom, state.recordBytes)
                : Sink.create(out, pass.vectorDim(), storeType, scorers.size())) {
            if (resumedFrom > 0) log.info("{}: resuming at sample {} of {}", out, resumedFrom, total);
            else writeProgress(state, false, 0);
            long row = 0, skippedJson = 0, lastLog = System.nanoTime();
            List<RowScorer.Pending> pending = new ArrayList<>(group);
            for (Path file : datasets) {
                try (LlavaJsonReader reader = LlavaJsonReader.open(file, InvalidSamples.SKIP)) {
                    for (LlavaSample s = reader.read(); s != null; s = reader.read()) {
                        if (row++ < resumedFrom) continue;
                        pending.add(new RowScorer.Pending(file.toString(), s));
                        if (pending.size() < group) continue;
                        score(pending, sink, state);
                        pending.clear();
                        if (state.rows - sink.committed() >= commitEvery) commit(sink, state, skippedJson);
                        lastLog = report(progress, state, resumedFrom, total, t0, lastLog);
                    }
                    skippedJson += reader.skippedCount();
                }
            }
            if (!pending.isEmpty()) score(pending, sink, state);
            commit(sink, state, skippedJson);
            report(progress, state, resumedFrom, total, t0, 0);
            sink.finish(out, scorers.keySet());
            writeProgress(state, true, skippedJson);
            Sink.cleanUp(out);
            Result r = result(state, resumedFrom, skippedJson, encoder.truncatedCount(), t0);
            log.info(String.format(Locale.ROOT, "%s: scored %d samples (%d invalid%s, %d skipped JSON entries) in %.1f s",
                    out, r.samples(), r.invalidCount(), r.invalid().isEmpty() ? "" : " " + r.invalid(), skippedJson, r.seconds()));
            return r;
        }
    }

    private Result result(State state, long resumedFrom, long skippedJson, long truncated, long t0) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String name : scorers.keySet()) files.put(name, out.resolve(name + ".npy"));
        Map<Invalid, Long> invalid = new EnumMap<>(Invalid.class);
        state.invalid.forEach((k, v) -> { if (v > 0) invalid.put(k, v); });
        return new Result(state.rows, invalid, skippedJson, truncated, resumedFrom, (System.nanoTime() - t0) / 1e9,
                out.resolve(VECTORS), files, out.resolve(RECORDS));
    }

    private long countSamples() throws IOException {
        long n = 0;
        for (Path file : datasets) {
            try (LlavaJsonReader reader = LlavaJsonReader.open(file, InvalidSamples.SKIP)) {
                while (reader.read() != null) n++;
            }
        }
        return n;
    }

    /** Scores and appends one projection group of rows (RowScorer). */
    private void score(List<RowScorer.Pending> batch, Sink sink, State state) throws IOException {
        for (RowScorer.Row row : rows.score(batch)) {
            ObjectNode rec = JSON.createObjectNode().put("source", row.source()).put("record", row.record());
            if (row.id() == null) rec.putNull("id");
            else rec.put("id", row.id());
            if (row.invalid() != null) {
                rec.put("invalid", row.invalidText());
                state.invalid.merge(row.invalid(), 1L, Long::sum);
            }
            sink.vectors.append(row.vector());
            if (!scorers.isEmpty()) sink.scores.append(row.scores());
            sink.appendRecord(rec);
            state.rows++;
        }
    }

    private void commit(Sink sink, State state, long skippedJson) throws IOException {
        state.recordBytes = sink.commit();
        writeProgress(state, false, skippedJson);
    }

    private void writeProgress(State state, boolean finished, long skippedJson) throws IOException {
        ObjectNode p = JSON.createObjectNode();
        p.set("settings", JSON.valueToTree(fingerprint.entries()));
        p.put("rows", state.rows)
                .put("recordBytes", state.recordBytes).put("finished", finished).put("skippedJson", skippedJson);
        ObjectNode inv = p.putObject("invalid");
        state.invalid.forEach((k, v) -> inv.put(k.name(), v));
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(p);
        AtomicFiles.write(out.resolve(PROGRESS), ch -> ch.write(ByteBuffer.wrap(bytes)));
    }

    private long report(Progress progress, State state, long resumedFrom, long total, long t0, long lastLog) {
        long now = System.nanoTime();
        double elapsed = (now - t0) / 1e9, rate = (state.rows - resumedFrom) / Math.max(elapsed, 1e-9);
        double eta = rate > 0 ? (total - state.rows) / rate : Double.NaN;
        if (progress != null && state.rows != state.notified) progress.update(state.rows, total, rate, eta);
        state.notified = state.rows;
        if (lastLog != 0 && now - lastLog < logInterval.toNanos()) return lastLog;
        long invalid = state.invalid.values().stream().mapToLong(Long::longValue).sum();
        log.info(String.format(Locale.ROOT, "scored %d/%d samples (%.1f%%), %.2f samples/s, ETA %.0f s, %d invalid",
                state.rows, total, 100.0 * state.rows / Math.max(1, total), rate, eta, invalid));
        return now;
    }

    private static final class State {
        long rows, recordBytes, notified = -1;
        final Map<Invalid, Long> invalid = new EnumMap<>(Invalid.class);
    }

    /** What a resumed run must agree on with the run it continues (each entry named, so a mismatch says which). */
    private Fingerprint fingerprint(Builder b) throws IOException {
        Fingerprint.Builder f = Fingerprint.builder();
        StringBuilder files = new StringBuilder();
        for (Path d : datasets) files.append(files.length() == 0 ? "" : ", ").append(d).append(' ').append(Fingerprint.fileDigest(d));
        f.put("datasets", files);
        StringBuilder sc = new StringBuilder();
        scorers.forEach((n, s) -> sc.append(n).append('=').append(s).append(','));
        f.put("scorers", sc).put("vectors", vectorConfig).put("store", storeType).put("batch", batchSize).put("group", group)
                .put("parallel-samples", pass.parallelSamples())
                .put("max-length", b.maxLength).put("template", b.template.name())
                .put("model", String.valueOf(model.config().text()) + model.config().vision());
        java.security.MessageDigest md = Fingerprint.sha256();
        StringBuilder layers = new StringBuilder();
        for (var e : pass.adapters().entrySet()) {
            LoraAdapter ad = e.getValue();
            layers.append(e.getKey()).append(';');
            Fingerprint.update(md, ad.a());
            Fingerprint.update(md, ad.b());
        }
        return f.put("adapter-layers", layers).put("adapters", Fingerprint.hex(md)).build();
    }

    /** The three append-only outputs of a run. */
    private static final class Sink implements AutoCloseable {
        final VectorStore.Writer vectors, scores;     // scores null without scorers
        final FileChannel records;

        private Sink(VectorStore.Writer vectors, VectorStore.Writer scores, FileChannel records) {
            this.vectors = vectors;
            this.scores = scores;
            this.records = records;
        }

        static Sink create(Path out, int k, DType type, int scorers) throws IOException {
            VectorStore.Writer v = VectorStore.create(out.resolve(VECTORS), k, type);
            VectorStore.Writer s = scorers == 0 ? null : VectorStore.create(out.resolve(SCORES), scorers, DType.F32);
            FileChannel r = FileChannel.open(out.resolve(RECORDS_LOG), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
            return new Sink(v, s, r);
        }

        static Sink resume(Path out, int k, DType type, int scorers, long rows, long recordBytes) throws IOException {
            Path target = out.resolve(VECTORS), partial = VectorStore.partialOf(target);
            if (!Files.exists(partial) && Files.exists(target)) AtomicFiles.rename(target, partial);   // finish() was interrupted
            VectorStore.Writer v = VectorStore.resume(out.resolve(VECTORS), k, type, rows);
            VectorStore.Writer s = scorers == 0 ? null : VectorStore.resume(out.resolve(SCORES), scorers, DType.F32, rows);
            FileChannel r = FileChannel.open(out.resolve(RECORDS_LOG), StandardOpenOption.WRITE);
            if (r.size() < recordBytes) throw new IOException(out.resolve(RECORDS_LOG) + ": shorter than its committed " + recordBytes + " bytes");
            r.truncate(recordBytes);
            r.position(recordBytes);
            return new Sink(v, s, r);
        }

        long committed() { return vectors.committed(); }

        void appendRecord(ObjectNode rec) throws IOException {
            ByteBuffer line = ByteBuffer.wrap((JSON.writeValueAsString(rec) + "\n").getBytes(StandardCharsets.UTF_8));
            while (line.hasRemaining()) records.write(line);
        }

        /** Makes every appended row durable; returns the records log's length. */
        long commit() throws IOException {
            vectors.commit();
            if (scores != null) scores.commit();
            records.force(false);
            return records.size();
        }

        /** Vector store into place; score columns -> NAME.npy; records log -> records.json. */
        void finish(Path out, Set<String> names) throws IOException {
            // every step can be repeated: a run killed in here has progress.json unfinished and resumes at its last
            // row, finishing again (resume() undoes the vector store's rename); the partial files are deleted only
            // once progress.json says finished (cleanUp)
            if (scores != null) {
                scores.commit();
                scores.close();
                try (VectorStore s = VectorStore.open(VectorStore.partialOf(out.resolve(SCORES)))) {
                    int j = 0;
                    for (String name : names) {
                        float[] col = s.column(j++);
                        Npy.write(out.resolve(name + ".npy"), Tensor.of(col, col.length));
                    }
                }
            }
            records.close();
            Path log = out.resolve(RECORDS_LOG);
            AtomicFiles.write(out.resolve(RECORDS), ch -> {
                OutputStream os = Channels.newOutputStream(ch);
                os.write('[');
                boolean first = true;
                try (BufferedReader in = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        os.write((first ? "\n" : ",\n").getBytes(StandardCharsets.UTF_8));
                        os.write(line.getBytes(StandardCharsets.UTF_8));
                        first = false;
                    }
                }
                os.write("\n]\n".getBytes(StandardCharsets.UTF_8));
                os.flush();
            });
            vectors.finish().close();
        }

        /** Deletes the working files of a finished run (the score store's partial file and the records log). */
        static void cleanUp(Path out) throws IOException {
            Files.deleteIfExists(VectorStore.partialOf(out.resolve(SCORES)));
            Files.deleteIfExists(out.resolve(RECORDS_LOG));
        }

        @Override
        public void close() throws IOException {
            vectors.close();
            if (scores != null) scores.close();
            if (records.isOpen()) records.close();
        }
    }

    /** Required: model, backend, tokenizer, datasets, output folder. */
    public static final class Builder {
        private LlavaModel model;
        private Backend backend;
        private Tokenizer tokenizer;
        private List<Path> datasets;
        private Path out;
        private ImageStore images;
        private ConversationTemplate template = ConversationTemplate.VICUNA_V1;
        private int maxLength = SampleEncoder.DEFAULT_MAX_LENGTH;
        private Map<String, Scorer> scorers = ScorerRegistry.standard().select(List.of(ScorerRegistry.PPL, ScorerRegistry.EL2N,
                ScorerRegistry.ENTROPY, ScorerRegistry.GRAND, ScorerRegistry.IG));
        private SampleVectors.Config vectors = SampleVectors.Config.paper();
        private DType storeType = DType.F32;
        private int batchSize = 1, group = 0, commitEvery = 256;
        private Boolean parallelSamples;
        private Duration logInterval = Duration.ofSeconds(30);
        private boolean resume;
        private Backend projectionBackend;

        private Builder() {}

        /** The model to score with (the current model, or a smaller proxy) and the backend it runs on. */
        public Builder setModel(LlavaModel model, Backend backend) {
            this.model = model;
            this.backend = backend;
            return this;
        }

        public Builder setTokenizer(Tokenizer tokenizer) {
            this.tokenizer = tokenizer;
            return this;
        }

        /** LLaVA-JSON files, scored in this order. */
        public Builder setDatasets(List<Path> datasets) {
            this.datasets = datasets;
            return this;
        }

        public Builder setOutput(Path out) {
            this.out = out;
            return this;
        }

        /** Where the samples' images are (null: a text-only pool; samples with images are then UNSUPPORTED). */
        public Builder optImages(ImageStore images) {
            this.images = images;
            return this;
        }

        public Builder optTemplate(ConversationTemplate template) {
            this.template = template;
            return this;
        }

        public Builder optMaxLength(int maxLength) {
            this.maxLength = maxLength;
            return this;
        }

        /** The scorers by output name (default: the five standard ones, paper modes). */
        public Builder optScorers(Map<String, Scorer> scorers) {
            this.scorers = new LinkedHashMap<>(scorers);
            return this;
        }

        public Builder optVectors(SampleVectors.Config vectors) {
            this.vectors = vectors;
            return this;
        }

        /** F32 (default) or F16 vectors on disk. */
        public Builder optStoreType(DType storeType) {
            this.storeType = storeType;
            return this;
        }

        /** Samples per model pass (default 1, the official setting). */
        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * Whether a group's batches run on the CPU threads at once (ScoringPass); null (the default) lets ScoringPass
         * decide from the model's size and the backend.
         */
        public Builder optParallelSamples(Boolean parallelSamples) {
            this.parallelSamples = parallelSamples;
            return this;
        }

        /**
         * Consecutive samples whose gradients are projected together; 0 (the default) takes ScoringPass.defaultGroup():
         * 16 to 256, as the gradient buffer's memory allows (the official code uses 16).
         */
        public Builder optProjectionGroup(int group) {
            this.group = group;
            return this;
        }

        /** Rows between commits of the outputs and progress.json (default 256). */
        public Builder optCommitEvery(int commitEvery) {
            this.commitEvery = commitEvery;
            return this;
        }

        /** Minimum time between progress log lines (default 30 s). */
        public Builder optLogInterval(Duration logInterval) {
            this.logInterval = logInterval;
            return this;
        }

        /** Continue the run in the output folder if there is one (default: refuse a folder that holds a run). */
        public Builder optResume(boolean resume) {
            this.resume = resume;
            return this;
        }

        /** The backend that projects the gradients (default: the model's backend, setModel). */
        public Builder optProjectionBackend(Backend be) {
            this.projectionBackend = be;
            return this;
        }

        public PoolScorer build() {
            if (model == null || backend == null || tokenizer == null || datasets == null || out == null) {
                throw new IllegalArgumentException("model, backend, tokenizer, datasets and output folder must be set");
            }
            if (datasets.isEmpty()) throw new IllegalArgumentException("no dataset to score");
            if (batchSize < 1 || group < 0 || commitEvery < 1) {
                throw new IllegalArgumentException("batch size and commit interval must be positive, the projection group positive or 0 (automatic)");
            }
            if (storeType != DType.F32 && storeType != DType.F16) throw new IllegalArgumentException("vectors are stored as F32 or F16");
            return new PoolScorer(this);
        }
    }
}
