package dev.anewb.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.anewb.AnewbException;
import dev.anewb.io.HfTokenizer;
import dev.anewb.io.SafetensorsFile;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelGraph;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.random.RandomGeneratorFactory;

import static org.junit.jupiter.api.Assertions.*;

/** Generation with the KV cache: greedy tokens of transformers, prefill = token-by-token decode, sampling, streaming.
 *
 */
class GeneratorTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void greedyTokensEqualTransformersWhereverTheMarginIsClear(String fixture) throws IOException {
        Path dir = Fixtures.fixture(fixture);
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        long[][] prompts = LanguageModelFixtureTest.promptIds(dir);
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Generator gen = new Generator(new Executor(LanguageModelFixtureTest.graph(dir, weights), weights), null);
            int compared = 0;
            for (int k = 0; k < prompts.length; k++) {
                JsonNode expected = ref.get("generated").get(k), margins = ref.get("margins").get(k);
                Generator.Result r = gen.generate(prompts[k], expected.size(), Generator.Sampling.GREEDY, null,
                        JobContext.NONE);
                assertEquals(expected.size(), r.ids().length, fixture + " p" + k + ": stopped early");
                for (int s = 0; s < expected.size(); s++) {
                    if (r.ids()[s] != expected.get(s).asLong()) {
                        // A near tie may flip; after that the continuations are different texts.
                        assertTrue(margins.get(s).asDouble() <= 1e-3, fixture + " p" + k + " step " + s + ": "
                                + r.ids()[s] + " != "
                                + expected.get(s) + " with margin " + margins.get(s));
                        break;
                    }
                    assertEquals(margins.get(s).asDouble(), r.margins()[s], 1e-4, "margin at step " + s);
                    compared++;
                }
            }
            assertEquals(24, compared, "every fixture step has a clear margin, so all must be compared");
        }
    }

    /** Logits of a decode step vs the same position of one forward pass over the whole sequence. */
    static double maxRelativeDecodeDiff(ModelGraph graph, SafetensorsFile weights, long[] seq, int prefill) {
        Executor ex = new Executor(graph, weights);
        Activation full = ex.run(Batch.of(seq), JobContext.NONE).tap("logits");
        int v = full.channels();
        KvCache cache = new KvCache(1, graph.config().maxPositions());
        double worst = 0;
        int pos = 0;
        while (pos < seq.length) {
            int n = pos == 0 ? prefill : 1;
            Activation step = ex.run(Batch.of(Arrays.copyOfRange(seq, pos, pos + n)), cache,
                    JobContext.NONE).tap("logits");
            for (int t = 0; t < n; t++) {
                double maxRef = 0, maxDiff = 0;
                for (int i = 0; i < v; i++) {
                    float r = full.get(0, pos + t, i);
                    maxRef = Math.max(maxRef, Math.abs(r));
                    maxDiff = Math.max(maxDiff, Math.abs(step.get(0, t, i) - r));
                }
                worst = Math.max(worst, maxDiff / Math.max(1, maxRef));
            }
            pos += n;
        }
        assertEquals(seq.length, cache.length());
        return worst;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-tiny", "llama-tiny"})
    void prefillAndTokenByTokenDecodeAgree(String fixture) throws IOException {
        Path dir = Fixtures.fixture(fixture);
        long[] prompt = LanguageModelFixtureTest.promptIds(dir)[1];
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            ModelGraph g = LanguageModelFixtureTest.graph(dir, weights);
            long[] seq = Arrays.copyOf(prompt, prompt.length + 8);
            for (int i = 0; i < 8; i++) seq[prompt.length + i] = (37L * i + 5) % g.config().vocabSize();
            double fromPrompt = maxRelativeDecodeDiff(g, weights, seq, prompt.length);
            double fromFirst = maxRelativeDecodeDiff(g, weights, seq, 1);
            assertTrue(fromPrompt <= 1e-5, "prefill + decode differs by " + fromPrompt);
            assertTrue(fromFirst <= 1e-5, "decode from the first token differs by " + fromFirst);
        }
    }

    @Test
    void userErrorsAreMessages() throws IOException {
        Path dir = Fixtures.fixture("gpt2-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            ModelGraph g = LanguageModelFixtureTest.graph(dir, weights);
            Generator gen = new Generator(new Executor(g, weights), null);
            int context = g.config().maxPositions();
            AnewbException tooLong = assertThrows(AnewbException.class,
                    () -> gen.generate(new long[context + 1], 1, Generator.Sampling.GREEDY, null, JobContext.NONE));
            assertEquals(AnewbException.Kind.USAGE, tooLong.kind());
            assertTrue(tooLong.getMessage().contains("longer than the model's context of 256"), tooLong.getMessage());
            AnewbException tooMany = assertThrows(AnewbException.class,
                    () -> gen.generate(new long[] {1, 2, 3}, context - 1, Generator.Sampling.GREEDY, null,
                            JobContext.NONE));
            assertTrue(tooMany.getMessage().contains("at most 254 new tokens"), tooMany.getMessage());
            // Exactly filling the context is allowed: the last token is never fed back.
            assertEquals(254, gen.generate(new long[] {1, 2, 3}, context - 2, Generator.Sampling.GREEDY, null,
                    JobContext.NONE).ids().length);
            AnewbException badId = assertThrows(AnewbException.class,
                    () -> gen.generate(new long[] {1, 1176}, 1, Generator.Sampling.GREEDY, null, JobContext.NONE));
            assertTrue(badId.getMessage().contains("token id 1176 at position 1 is outside the vocabulary (0..1175)"),
                    badId.getMessage());
        }
    }

    @Test
    void eosFromConfigIgnoredWhenOutsideTheVocabulary() {
        Path dir = Fixtures.fixture("gpt2-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            assertTrue(Generator.eosIds(LanguageModelFixtureTest.graph(dir, weights).config()).isEmpty());
        }
        Path llama = Fixtures.fixture("llama-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(llama.resolve("model.safetensors"))) {
            assertEquals(Set.of(2L), Generator.eosIds(LanguageModelFixtureTest.graph(llama, weights).config()));
        }
    }

    @Test
    void samplingFollowsTemperatureTopKAndTopP() {
        // p = (0.5, 0.3, 0.2) at temperature 1.
        float[] logits = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.2)};
        var rng = RandomGeneratorFactory.of(Generator.RANDOM_ALGORITHM).create(42);
        int n = 40000;
        int[] plain = new int[3], topP = new int[3], topK = new int[3], cold = new int[3];
        for (int i = 0; i < n; i++) {
            plain[Generator.sample(logits, new Generator.Sampling(1, 0, 1, 0), rng)]++;
            // top-p 0.6: token 0 (mass before it 0) and token 1 (0.5 < 0.6) stay, token 2 (0.8 ≥ 0.6) goes: 0.625 /
            // 0.375.
            topP[Generator.sample(logits, new Generator.Sampling(1, 0, 0.6, 0), rng)]++;
            // top-k 2: renormalised 0.625 / 0.375 as well.
            topK[Generator.sample(logits, new Generator.Sampling(1, 2, 1, 0), rng)]++;
            // temperature 0.5 squares the odds: 0.25 : 0.09 : 0.04 over 0.38.
            cold[Generator.sample(logits, new Generator.Sampling(0.5, 0, 1, 0), rng)]++;
        }
        double tol = 0.01; // binomial sd at n = 40000 is ≤ 0.0025
        assertArrayEquals(new double[] {0.5, 0.3, 0.2}, freq(plain, n), tol);
        assertArrayEquals(new double[] {0.625, 0.375, 0}, freq(topP, n), tol);
        assertEquals(0, topP[2]);
        assertArrayEquals(new double[] {0.625, 0.375, 0}, freq(topK, n), tol);
        assertArrayEquals(new double[] {0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38}, freq(cold, n), tol);
        for (int i = 0; i < 100; i++) assertEquals(0,
                Generator.sample(logits, new Generator.Sampling(2, 1, 1, 0), rng));
    }

    private static double[] freq(int[] counts, int n) {
        double[] f = new double[counts.length];
        for (int i = 0; i < f.length; i++) f[i] = counts[i] / (double) n;
        return f;
    }

    @Test
    void aSeedReproducesASampledContinuationAndTopKOneIsGreedy() {
        Path dir = Fixtures.fixture("llama-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            Generator gen = new Generator(new Executor(LanguageModelFixtureTest.graph(dir, weights), weights), null);
            long[] prompt = {1, 674, 410, 631};
            var s = new Generator.Sampling(1.3, 50, 0.95, 7);
            long[] a = gen.generate(prompt, 20, s, null, JobContext.NONE).ids();
            long[] b = gen.generate(prompt, 20, s, null, JobContext.NONE).ids();
            assertArrayEquals(a, b);
            long[] other = gen.generate(prompt, 20, new Generator.Sampling(1.3, 50, 0.95, 8), null,
                    JobContext.NONE).ids();
            assertFalse(Arrays.equals(a, other), "different seeds gave the same 20 sampled tokens");
            long[] greedy = gen.generate(prompt, 20, Generator.Sampling.GREEDY, null, JobContext.NONE).ids();
            assertArrayEquals(greedy,
                    gen.generate(prompt, 20, new Generator.Sampling(5, 1, 1, 3), null, JobContext.NONE).ids());
        }
    }

    @Test
    void streamedTextNeverSplitsACharacter() {
        // gpt2-tiny's byte-level BPE spells 日本語のテキスト in 20 tokens, most of them partial UTF-8 sequences.
        long[] ids = {163, 246, 99, 163, 251, 106, 165, 104, 253, 160, 224, 107, 1029, 229, 1028, 256, 1028, 118, 1029,
                231};
        try (HfTokenizer tok = HfTokenizer.open(Fixtures.fixture("gpt2-tiny/tokenizer.json"))) {
            StreamingDetokenizer s = new StreamingDetokenizer(tok, new long[] {721}); // "The"
            List<String> pieces = new ArrayList<>();
            for (long id : ids) pieces.add(s.push(id));
            pieces.add(s.finish());
            for (String p : pieces) assertFalse(p.contains("\uFFFD"), "broken character streamed: " + pieces);
            assertEquals("日本語のテキスト", String.join("", pieces));
            assertEquals(8, pieces.stream().filter(p -> !p.isEmpty()).count(), "one piece per completed character");
        }
    }

    @Test
    void generatorStreamsTheTextItReturns() {
        Path dir = Fixtures.fixture("llama-tiny");
        try (SafetensorsFile weights = SafetensorsFile.open(dir.resolve("model.safetensors"));
             HfTokenizer tok = HfTokenizer.open(dir.resolve("tokenizer.json"))) {
            Generator gen = new Generator(new Executor(LanguageModelFixtureTest.graph(dir, weights), weights), tok);
            long[] prompt = tok.encode("The neural engine").ids();
            StringBuilder streamed = new StringBuilder();
            List<Long> ids = new ArrayList<>();
            Generator.Result r = gen.generate(prompt, 12, Generator.Sampling.GREEDY, (id, text) -> {
                ids.add(id);
                streamed.append(text);
            }, JobContext.NONE);
            assertEquals(r.text(), streamed.toString());
            assertArrayEquals(r.ids(), ids.stream().mapToLong(Long::longValue).toArray());
            long[] all = Arrays.copyOf(prompt, prompt.length + r.ids().length);
            System.arraycopy(r.ids(), 0, all, prompt.length, r.ids().length);
            assertEquals(tok.decode(all, true), tok.decode(prompt, true) + r.text());
        }
    }
}
