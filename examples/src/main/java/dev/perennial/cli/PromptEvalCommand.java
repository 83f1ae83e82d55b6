/*
 * `perennial prompt-eval`: answers LLaVA-JSON questions with a trained prompt pool, task-agnostically
 * (docs/methods/modalprompt.md §5.3, §7): per batch the CLIP queries select min(t, K) prompts over every task in the state, the
 * prompts are inserted after BOS for the prefill, and the answer is generated greedily. Writes one JSON line per
 * sample to --out (atomically, when all are done): {"id", "question", "answer", "reference", "selected_tasks"
 * (most similar last), "scores"}; and <out>.selection.json, the histogram of selected prompts (SelectionStats)
 * under --group (default: the data file's name), which it also prints: a collapse onto few prompts shows there.
 * Samples whose image is missing or unreadable are skipped and counted, never fatal.
 */
package dev.perennial.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.perennial.clip.ClipModel;
import dev.perennial.data.ImageLoad;
import dev.perennial.data.ImageStore;
import dev.perennial.data.InvalidSamples;
import dev.perennial.data.LlavaJsonReader;
import dev.perennial.data.LlavaSample;
import dev.perennial.io.AtomicFiles;
import dev.perennial.llava.GenerationConfig;
import dev.perennial.llava.LlavaModel;
import dev.perennial.prompt.ClipQueries;
import dev.perennial.prompt.PromptEntry;
import dev.perennial.prompt.PromptInference;
import dev.perennial.prompt.PromptPoolState;
import dev.perennial.prompt.PromptTaskData;
import dev.perennial.prompt.SelectionStats;
import dev.perennial.tensor.Backend;
import dev.perennial.tensor.Tensor;
import dev.perennial.text.ConversationTemplate;
import dev.perennial.text.ConversationTurn;
import dev.perennial.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "prompt-eval", mixinStandardHelpOptions = true,
        description = "Answer questions with a trained prompt pool (task-agnostic prompt selection).")
final class PromptEvalCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    PromptModelOptions options;

    @Option(names = "--state", required = true, description = "State folder written by prompt-train.")
    Path state;

    @Option(names = "--data", required = true, description = "LLaVA-JSON questions (first human turn; the first gpt turn, if any, is the reference).")
    Path data;

    @Option(names = "--out", required = true, description = "Predictions file (JSON lines).")
    Path out;

    @Option(names = "--template", description = "Conversation template (default: the one the state was trained with).")
    String template;

    @Option(names = "--batch", defaultValue = "8", description = "Samples per generation batch (default 8).")
    int batch;

    @Option(names = "--max-new-tokens", defaultValue = "64", description = "Answer length limit (default 64).")
    int maxNewTokens;

    @Option(names = "--group", description = "Name of this evaluation in the selection histogram (default: the data file name).")
    String group;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut(), stderr = spec.commandLine().getErr();
        if (!PromptPoolState.exists(state)) throw new IllegalArgumentException(state + " holds no prompt pool (train one with prompt-train)");
        PromptPoolState st = PromptPoolState.open(state);
        if (st.tasks().isEmpty()) throw new IllegalArgumentException(state + " has no trained task yet");
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1");
        Map<String, Object> first = st.taskMetadata(0);
        ClipQueries.TextQuery mode = ClipQueries.TextQuery.valueOf(String.valueOf(first.getOrDefault("text_query", "POOLED")));
        ConversationTemplate tpl = ConversationTemplate.named(template != null ? template : String.valueOf(first.getOrDefault("template", "vicuna_v1")));
        Tokenizer tok = options.loadTokenizer();
        Backend be = options.model.backend();
        String groupName = group != null ? group : data.getFileName().toString();
        try (LlavaModel m = options.model.load(); ClipModel clip = ClipModel.load(options.clip())) {
            int width = st.pool().config().promptWidth(m.config().text());     // D, or the kv width of DualPrompt's prefixes
            if (st.pool().hidden() != width) {
                throw new IllegalArgumentException(state + " holds prompts of width " + st.pool().hidden() + ", this model's are " + width);
            }
            st.pool().config().checkModel(m.config().text());
            ClipQueries queries = options.queries(clip, mode);
            if (queries.dim() != st.pool().config().keyDim()) {
                throw new IllegalArgumentException(state + " has keys of width " + st.pool().config().keyDim() + ", this CLIP model's queries " + queries.dim());
            }
            ImageStore llava = options.llavaImages(m), clipImages = options.clipImages(queries);
            PromptInference inference = new PromptInference(st.pool(), m, be, tok, tpl);
            SelectionStats stats = new SelectionStats(st.pool().entries().stream().map(PromptEntry::name).toList());
            GenerationConfig gen = GenerationConfig.greedy(maxNewTokens, m.config().text().eosTokenId());
            ByteArrayOutputStream lines = new ByteArrayOutputStream();
            int answered = 0, skipped = 0;
            ProgressReporter progress = ProgressReporter.on(stderr, "answered", "");
            List<LlavaSample> pending = new ArrayList<>();
            List<Tensor> pendingPixels = new ArrayList<>(), pendingClip = new ArrayList<>();
            try (LlavaJsonReader reader = LlavaJsonReader.open(data, InvalidSamples.FAIL)) {
                for (LlavaSample s = reader.read(); ; s = reader.read()) {
                    if (s != null) {
                        if (s.hasImage() && llava == null) throw new IllegalArgumentException("sample " + s.describe() + " has an image: pass --images");
                        Tensor px = null, cpx = null;
                        if (s.hasImage()) {
                            ImageLoad a = llava.load(s.images().get(0)), b = clipImages.load(s.images().get(0));
                            if (a instanceof ImageLoad.Failed || b instanceof ImageLoad.Failed) {
                                skipped++;
                                continue;
                            }
                            px = ((ImageLoad.Loaded) a).pixels();
                            cpx = ((ImageLoad.Loaded) b).pixels();
                        }
                        pending.add(s);
                        pendingPixels.add(px);
                        pendingClip.add(cpx);
                    }
                    if (pending.size() == batch || (s == null && !pending.isEmpty())) {
                        Tensor q = PromptTaskData.queries(pending, pendingClip, queries, st.pool().config().queries(), be);
                        for (PromptInference.Prediction p : inference.answer(pending, pendingPixels, q, gen, stats, groupName)) {
                            lines.write(JSON.writeValueAsBytes(line(p)));
                            lines.write('\n');
                            answered++;
                        }
                        progress.update(answered, 0, "");
                        pending.clear();
                        pendingPixels.clear();
                        pendingClip.clear();
                    }
                    if (s == null) break;
                }
            }
            progress.finish();
            AtomicFiles.write(out, lines.toByteArray());
            Path selection = selectionFile(out);
            AtomicFiles.write(selection, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(stats.report()));
            stdout.printf(Locale.ROOT, "%d answered, %d skipped (missing or unreadable image) with %d tasks' prompts; %s, %s%n",
                    answered, skipped, st.tasks().size(), out, selection.getFileName());
            stdout.print("prompt selection: " + stats.summary());
            stdout.flush();
        }
        return 0;
    }

    /** predictions.jsonl -> predictions.selection.json (next to it). */
    static Path selectionFile(Path out) {
        String name = out.getFileName().toString();
        String stem = name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name;
        return out.resolveSibling(stem + ".selection.json");
    }

    private static ObjectNode line(PromptInference.Prediction p) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", p.sample().id() == null ? String.valueOf(p.sample().index()) : p.sample().id());
        o.put("question", ClipQueries.instruction(p.sample()));
        o.put("answer", p.text());
        String reference = p.sample().conversations().stream().filter(t -> !t.isHuman()).map(ConversationTurn::value).findFirst().orElse(null);
        o.put("reference", reference);
        ArrayNode tasks = o.putArray("selected_tasks");
        p.entries().forEach(tasks::add);
        ArrayNode scores = o.putArray("scores");
        for (float f : p.scores()) scores.add(f);
        return o;
    }
}
