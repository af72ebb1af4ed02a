package dev.anewb.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.anewb.AnewbException;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.FeatureTensor;
import dev.anewb.model.ModelConfig;
import dev.anewb.model.TextTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Text generation with a KV cache: the prompt is prefilled through the graph's executor, then each new token
 * runs the same graph over that token alone with every attention op reading its cached keys and values. There
 * is no second model implementation: whatever graph the executor holds (original or converted) generates.
 *
 * <p>Greedy when the temperature is 0; otherwise transformers' order: temperature, top-k, top-p, then a draw
 * from a seeded {@code L64X128MixRandom}, so a seed reproduces a run on every JVM.
 */
public final class Generator {
    /** The random algorithm: fixed, so that a seed means the same tokens everywhere. */
    public static final String RANDOM_ALGORITHM = "L64X128MixRandom";

    /**
     * @param temperature 0 for greedy
     * @param topK        keep the k most likely tokens; 0 = all
     * @param topP        keep the smallest set whose probability reaches p; 1 = all
     */
    public record Sampling(double temperature, int topK, double topP, long seed) {
        public static final Sampling GREEDY = new Sampling(0, 0, 1, 0);

        public Sampling {
            if (!(temperature >= 0) || Double.isInfinite(temperature)) throw AnewbException.usage("temperature "
                    + temperature + " must be 0 (greedy) or positive");
            if (topK < 0) throw AnewbException.usage("top-k " + topK + " must be 0 (off) or positive");
            if (!(topP > 0 && topP <= 1)) throw AnewbException.usage("top-p " + topP + " must be in (0, 1]");
        }

        public boolean greedy() { return temperature == 0; }
    }

    /** Receives each token as it is chosen, with the text it completes (empty while a character is incomplete). */
    @FunctionalInterface
    public interface TokenListener {
        void token(long id, String text);
    }

    /**
     * @param ids     the new tokens (the prompt not included)
     * @param text    their text as streamed (empty without a tokenizer)
     * @param margins per step, top-1 minus top-2 logit: how close the choice was
     */
    public record Result(long[] ids, String text, float[] margins, boolean stoppedAtEos) { }

    private final Executor executor;
    private final TextTokenizer tokenizer;
    private final Set<Long> stopIds;

    /** @param tokenizer null to generate ids only */
    public Generator(Executor executor, TextTokenizer tokenizer) {
        this(executor, tokenizer, eosIds(executor.graph().config()));
    }

    public Generator(Executor executor, TextTokenizer tokenizer, Set<Long> stopIds) {
        if (!executor.graph().taps().containsKey("logits")) {
            throw new AnewbException(executor.graph().config().architecture()
                    + " has no language-model head (no logits): it cannot generate");
        }
        this.executor = executor;
        this.tokenizer = tokenizer;
        this.stopIds = Set.copyOf(stopIds);
    }

    /**
     * config.json's {@code eos_token_id} (a number or a list), keeping only ids inside the vocabulary (gpt2-tiny
     * names 50256 with a vocabulary of 1176: such an id can never be generated, so it is not a stop).
     */
    public static Set<Long> eosIds(ModelConfig c) {
        Set<Long> out = new LinkedHashSet<>();
        JsonNode e = c.raw() == null ? null : c.raw().get("eos_token_id");
        if (e != null && e.isIntegralNumber()) out.add(e.asLong());
        if (e != null && e.isArray()) for (JsonNode x : e) if (x.isIntegralNumber()) out.add(x.asLong());
        out.removeIf(id -> id < 0 || id >= c.vocabSize());
        return out;
    }

    public Result generate(long[] prompt, int maxNewTokens, Sampling sampling, TokenListener listener, JobContext ctx) {
        return generate(prompt, Map.of(), maxNewTokens, sampling, listener, ctx);
    }

    /**
     * Generation conditioned on named float inputs (Whisper: {@code input_features}, with the prompt as the decoder
     * prefix). The first step runs the encoder; the cache keeps its outputs (the cross-attention keys and values),
     * so every later step runs the decoder over one token only.
     */
    public Result generate(long[] prompt, Map<String, FeatureTensor> features, int maxNewTokens, Sampling sampling,
                           TokenListener listener, JobContext ctx) {
        ModelConfig c = executor.graph().config();
        int context = c.maxPositions();
        if (prompt.length == 0) throw AnewbException.usage("empty prompt: generation needs at least one token");
        if (prompt.length > context) {
            throw AnewbException.usage("prompt of " + prompt.length + " tokens is longer than the model's context of "
                    + context + " positions");
        }
        if (maxNewTokens < 0) throw AnewbException.usage("--max-new-tokens " + maxNewTokens + " must not be negative");
        // The last new token is never fed back, so prompt + N − 1 positions must fit.
        if (maxNewTokens > 0 && prompt.length + maxNewTokens - 1 > context) {
            throw AnewbException.usage("--max-new-tokens " + maxNewTokens + " with a prompt of " + prompt.length
                    + " tokens passes the model's context of "
                    + context + " positions (at most " + (context - prompt.length + 1) + " new tokens)");
        }
        for (int t = 0; t < prompt.length; t++) {
            if (prompt[t] < 0 || prompt[t] >= c.vocabSize()) {
                throw AnewbException.usage("token id " + prompt[t] + " at position " + t
                        + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
            }
        }
        RandomGenerator random = RandomGeneratorFactory.of(RANDOM_ALGORITHM).create(sampling.seed());
        StreamingDetokenizer text = tokenizer == null ? null : new StreamingDetokenizer(tokenizer, prompt);
        KvCache cache = new KvCache(1, context);
        List<Long> out = new ArrayList<>();
        float[] margins = new float[maxNewTokens];
        boolean eos = false;
        if (maxNewTokens == 0) return new Result(new long[0], "", margins, false);
        float[] logits = lastLogits(executor.run(Batch.of(prompt).withFeatures(features), cache,
                ctx.slice(0, 1.0 / (maxNewTokens + 1))));
        for (int step = 0; step < maxNewTokens; step++) {
            ctx.checkCancelled();
            margins[step] = margin(logits);
            long id = sampling.greedy() ? argmax(logits) : sample(logits, sampling, random);
            out.add(id);
            String piece = text == null ? "" : text.push(id);
            eos = stopIds.contains(id);
            boolean last = eos || step == maxNewTokens - 1;
            if (last && text != null) piece += text.finish();
            if (listener != null) listener.token(id, piece);
            if (last) break;
            logits = lastLogits(executor.run(Batch.of(id), cache,
                    ctx.slice((step + 1.0) / (maxNewTokens + 1), (step + 2.0) / (maxNewTokens + 1))));
        }
        long[] ids = out.stream().mapToLong(Long::longValue).toArray();
        return new Result(ids, text == null ? "" : text.text(), Arrays.copyOf(margins, ids.length), eos);
    }

    private static float[] lastLogits(RunResult r) {
        Activation a = r.tap("logits");
        int v = a.channels();
        return Arrays.copyOfRange(a.data(), (a.length() - 1) * v, a.length() * v);
    }

    /** The first index of the largest logit, as torch.argmax picks. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    static float margin(float[] logits) {
        if (logits.length < 2) return Float.POSITIVE_INFINITY;
        float a = Float.NEGATIVE_INFINITY, b = Float.NEGATIVE_INFINITY;
        for (float x : logits) {
            if (x > a) { b = a; a = x; } else if (x > b) b = x;
        }
        return a - b;
    }

    /** Temperature, then top-k, then top-p over the renormalised survivors (transformers' warper order), then one draw.
     *
     */
    static int sample(float[] logits, Sampling s, RandomGenerator random) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        // Descending by logit, ties by index, so the kept set is deterministic.
        Arrays.sort(order, (x, y) -> logits[x] != logits[y] ? Float.compare(logits[y], logits[x])
                : Integer.compare(x, y));
        int keep = s.topK() > 0 ? Math.min(s.topK(), n) : n;
        double max = logits[order[0]] / s.temperature();
        double[] p = new double[keep];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            p[r] = Math.exp(logits[order[r]] / s.temperature() - max);
            sum += p[r];
        }
        if (s.topP() < 1) {
            // Keep tokens while the probability before them is below p: the smallest prefix reaching p, at least one.
            double cum = 0;
            int k = 0;
            while (k < keep && cum < s.topP() * sum) cum += p[k++];
            keep = Math.max(1, k);
            sum = 0;
            for (int r = 0; r < keep; r++) sum += p[r];
        }
        double u = random.nextDouble() * sum;
        for (int r = 0; r < keep; r++) {
            u -= p[r];
            if (u < 0) return order[r];
        }
        return order[keep - 1];
    }
}
