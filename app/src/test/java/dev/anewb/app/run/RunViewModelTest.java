package dev.anewb.app.run;

import dev.anewb.api.ModelSession;
import dev.anewb.app.jobs.FxJobs;
import dev.anewb.app.session.ModelKind;
import dev.anewb.app.session.SampleInput;
import dev.anewb.app.session.Session;
import dev.anewb.app.settings.SettingsStore;
import dev.anewb.drift.DriftAnalysis;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.TextInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Batch;
import dev.anewb.model.ModelGraph;
import dev.anewb.runtime.Executor;
import dev.anewb.runtime.Generator;
import dev.anewb.testing.Fixtures;
import javafx.scene.image.Image;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Run area's view models on the tiny fixtures (random weights, real numbers): what the panes and previews
 * show must be what the engine computes — the same greedy tokens as {@link Generator}, the CLS cosine of the
 * drift analysis, the spectrogram of the features the encoder reads.
 */
@ExtendWith(ApplicationExtension.class)
class RunViewModelTest {

    private FxJobs jobs;
    private Session session;

    @Start void start(Stage stage) {
        jobs = new FxJobs();
        session = new Session(SettingsStore.inMemory(), jobs);
    }

    @AfterEach void close(FxRobot robot) {
        robot.interact(() -> {
            jobs.close();
            session.close();
        });
    }

    private void load(FxRobot robot, String fixture) throws Exception {
        robot.interact(() -> session.load(Fixtures.fixture(fixture).toString()));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.converted() != null);
    }

    private static void waitFor(Callable<Boolean> condition) throws Exception {
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, condition);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private static long[] longs(List<Long> ids) { return ids.stream().mapToLong(Long::longValue).toArray(); }

    @Test void languageModelStreamsBothSidesAndTheOriginalIsGeneratorsGreedy(FxRobot robot) throws Exception {
        load(robot, "gpt2-tiny");
        LanguageModelRun lm = new LanguageModelRun(session);
        robot.interact(() -> {
            lm.promptProperty().set("The Neural Engine");
            lm.maxNewTokensProperty().set(12);
            assertTrue(lm.generate(), lm.errorProperty().get());
        });
        SideBySideGeneration g = lm.generation();
        waitFor(() -> g.outcomeProperty().get() != null);
        SideBySideGeneration.Outcome o = g.outcomeProperty().get();

        LoadedModel m = session.model();
        long[] prompt = TextInputs.batch(m.tokenizer(), List.of("The Neural Engine")).ids()[0];
        Generator.Result ref = new Generator(new Executor(m.graph(), m.weights()), m.tokenizer())
                .generate(prompt, 12, Generator.Sampling.GREEDY, null, JobContext.NONE);
        Generator.Result conv = new Generator(new Executor(session.converted().graph(), m.weights()), m.tokenizer())
                .generate(prompt, 12, Generator.Sampling.GREEDY, null, JobContext.NONE);
        assertArrayEquals(ref.ids(), o.originalIds());
        assertArrayEquals(ref.ids(), longs(g.original().ids()), "the original pane received every token");
        assertArrayEquals(conv.ids(), longs(g.converted().ids()), "the converted pane received every token");
        assertEquals(ref.text(), g.original().textProperty().get());
        assertEquals(conv.text(), g.converted().textProperty().get());
        assertEquals(12, g.original().tokensProperty().get());
        assertTrue(o.original().msPerToken() > 0 && o.converted().msPerToken() > 0);

        // Task metrics are the drift analysis's, teacher-forced on the prompt plus the original's continuation.
        long[] all = LanguageModelRun.concat(prompt, ref.ids());
        var task = ModelSession.of(m).convert(session.conversion()).drift(Batch.of(all), false, JobContext.NONE).task();
        assertEquals(task.get("top1_agreement_pct"), o.task().get("top1_agreement_pct"), 1e-9);
        assertEquals(task.get("next_token_kl"), o.task().get("next_token_kl"), 1e-12);
        int same = 0;
        while (same < 12 && ref.ids()[same] == conv.ids()[same]) same++;
        assertEquals(same == 12 ? -1 : same, o.firstDivergence());
    }

    @Test void aLanguageModelWithoutATokenizerIsPromptedWithTokenIds(FxRobot robot, @TempDir Path dir)
            throws Exception {
        // gpt2-tiny's weights and config without its tokenizer.json: what `anewb synth` writes.
        Path fixture = Fixtures.fixture("gpt2-tiny");
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(fixture.resolve(f), dir.resolve(f));
        robot.interact(() -> session.load(dir.toString()));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.converted() != null);
        LanguageModelRun lm = new LanguageModelRun(session);
        assertTrue(lm.idsPromptProperty().get());
        long[] sample = session.converted().sampleInput().ids()[0];
        assertArrayEquals(sample, TokenIds.parse(lm.promptProperty().get(), 1 << 20),
                "the prompt starts as Drift's id sequence");
        robot.interact(() -> {
            lm.maxNewTokensProperty().set(6);
            assertTrue(lm.generate(), lm.errorProperty().get());
        });
        SideBySideGeneration g = lm.generation();
        waitFor(() -> g.outcomeProperty().get() != null);
        LoadedModel m = session.model();
        Generator.Result ref = new Generator(new Executor(m.graph(), m.weights()), null)
                .generate(sample, 6, Generator.Sampling.GREEDY, null, JobContext.NONE);
        assertArrayEquals(ref.ids(), longs(g.original().ids()));
        assertEquals(List.of(), List.copyOf(jobs.failures()));

        int vocab = m.config().vocabSize();
        robot.interact(() -> {
            lm.promptProperty().set("1, 2 three");
            assertFalse(lm.generate());
            assertTrue(lm.errorProperty().get().contains("no tokenizer.json") && lm.errorProperty().get()
                    .contains("\"three\""), lm.errorProperty().get());
            lm.promptProperty().set(" 1,2, " + vocab + " ");
            assertFalse(lm.generate());
            assertTrue(lm.errorProperty().get().contains("Token id " + vocab + " is outside the vocabulary"),
                    lm.errorProperty().get());
        });
        assertArrayEquals(new long[]{1, 2, 3}, TokenIds.parse(", 1 ,2,3 ,", vocab));

        // A model with a tokenizer gives the text prompt back.
        robot.interact(() -> session.load(fixture.toString()));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.converted() != null
                && session.converted().source().hasTokenizer());
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(lm.idsPromptProperty().get());
        assertEquals(LanguageModelRun.DEFAULT_PROMPT, lm.promptProperty().get());
    }

    @Test void aTextEncoderWithoutATokenizerRunsTypedTokenIds(FxRobot robot, @TempDir Path dir) throws Exception {
        Path fixture = Fixtures.fixture("bert-tiny");
        for (String f : List.of("config.json", "model.safetensors")) Files.copy(fixture.resolve(f), dir.resolve(f));
        robot.interact(() -> session.load(dir.toString()));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.converted() != null);
        TextEncoderRun te = new TextEncoderRun(session);
        assertTrue(te.idsInputProperty().get());
        long[] sample = session.converted().sampleInput().ids()[0];
        int vocab = session.model().config().vocabSize();
        assertArrayEquals(sample, TokenIds.parse(te.textAProperty().get(), vocab));
        robot.interact(te::run);
        waitFor(() -> te.outcomeProperty().get() != null && !te.computingProperty().get());
        assertArrayEquals(sample, te.tokens().stream().mapToLong(TextEncoderRun.Token::id).toArray());

        // What the engine computes for the same ids: the cosine of the compared output, original vs converted.
        LoadedModel m = session.model();
        Batch batch = Batch.of(sample);
        var original = new Executor(m.graph(), m.weights()).run(batch, JobContext.NONE);
        var converted = new Executor(session.converted().graph(), m.weights()).run(batch, JobContext.NONE);
        String tap = te.outcomeProperty().get().outputTap();
        assertEquals(dev.anewb.drift.TapMetrics.of(tap, original.tap(tap), converted.tap(tap), batch).cosine(),
                te.outcomeProperty().get().originalVsConverted(), 1e-12);

        robot.interact(() -> te.textAProperty().set("3 4 five"));
        assertTrue(te.errorProperty().get().contains("\"five\""), te.errorProperty().get());
        robot.interact(() -> te.textAProperty().set("3 " + vocab));
        assertTrue(te.errorProperty().get().contains("outside the vocabulary"), te.errorProperty().get());
        robot.interact(() -> te.textAProperty().set("3, 4"));
        assertNull(te.errorProperty().get());
        assertEquals(List.of(), List.copyOf(jobs.failures()));
    }

    @Test void cancelStopsGeneration(FxRobot robot) throws Exception {
        load(robot, "gpt2-tiny");
        LanguageModelRun lm = new LanguageModelRun(session);
        int max = session.model().config().maxPositions() - 8;
        // Cancelled in the same FX event that starts it: gpt2-tiny writes all its tokens in a few milliseconds, faster
        // than a test can watch for the first one (waiting for a token first made this test depend on the speed).
        robot.interact(() -> {
            lm.maxNewTokensProperty().set(max);
            assertTrue(lm.generate());
            assertTrue(lm.generation().runningProperty().get(), "running as soon as started");
            lm.cancel();
        });
        SideBySideGeneration g = lm.generation();
        waitFor(() -> !g.runningProperty().get());
        int original = g.original().ids().size(), converted = g.converted().ids().size();
        Thread.sleep(300);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(original, g.original().ids().size(), "no tokens after the cancel");
        assertEquals(converted, g.converted().ids().size());
        assertTrue(original < max && converted < max,
                "a model finished: " + original + " and " + converted + " of " + max);
        assertNull(g.outcomeProperty().get(), "a cancelled run has no outcome");
    }

    @Test void samplingSettingsAreValidatedByTheEngine(FxRobot robot) throws Exception {
        load(robot, "gpt2-tiny");
        LanguageModelRun lm = new LanguageModelRun(session);
        robot.interact(() -> {
            lm.greedyProperty().set(false);
            lm.topPProperty().set(0);
            assertFalse(lm.generate());
        });
        assertTrue(lm.errorProperty().get().contains("top-p"), lm.errorProperty().get());
        assertFalse(lm.generation().runningProperty().get());
    }

    @Test void visionShowsThePreprocessedImageAndTheEnginesClsCosine(FxRobot robot) throws Exception {
        load(robot, "vit-tiny");
        assertEquals(ModelKind.VISION, session.kind());
        VisionRun vision = new VisionRun(session);
        robot.interact(vision::run);
        waitFor(() -> vision.outcomeProperty().get() != null);
        VisionRun.Outcome o = vision.outcomeProperty().get();

        LoadedModel m = session.model();
        Batch batch = new SampleInput.Image(null).prepare(m).batch();
        long[] shape = batch.feature(ModelGraph.PIXEL_VALUES).shape();
        Image preview = o.preview();
        assertEquals(shape[3], (long) preview.getWidth());
        assertEquals(shape[2], (long) preview.getHeight());
        double expected = ModelSession.of(m).convert(session.conversion()).drift(batch, false, JobContext.NONE).task()
                .get("cls_cosine");
        assertEquals(expected, o.clsCosine(), 1e-12);
        assertTrue(o.clsCosine() > 0.9 && o.clsCosine() <= 1 + 1e-9);
    }

    @Test void whisperShowsTheSpectrogramAndDecodesAsTheEngineDoes(FxRobot robot) throws Exception {
        load(robot, "whisper-tiny");
        SpeechRun speech = new SpeechRun(session);
        robot.interact(() -> {
            speech.maxNewTokensProperty().set(6);
            speech.prepare();
        });
        waitFor(() -> speech.decoding().outcomeProperty().get() != null);
        SpeechRun.Prepared p = speech.preparedProperty().get();
        assertEquals(3000, (int) p.spectrogram().getWidth(), "one pixel per frame");
        assertEquals(80, (int) p.spectrogram().getHeight(), "one pixel per mel bin");
        assertEquals(30.0, p.seconds(), 1e-9);

        LoadedModel m = session.model();
        Batch batch = new SampleInput.Audio(null).prepare(m).batch();
        long[] prefix = batch.ids()[0];
        long[] ref = new Generator(new Executor(m.graph(), m.weights()), null)
                .generate(prefix, batch.features(), 6, Generator.Sampling.GREEDY, null, JobContext.NONE).ids();
        long[] conv = new Generator(new Executor(session.converted().graph(), m.weights()), null)
                .generate(prefix, batch.features(), 6, Generator.Sampling.GREEDY, null, JobContext.NONE).ids();
        SideBySideGeneration.Outcome o = speech.decoding().outcomeProperty().get();
        assertArrayEquals(ref, longs(speech.decoding().original().ids()));
        assertArrayEquals(conv, longs(speech.decoding().converted().ids()));
        ModelSession fresh = ModelSession.of(m);
        var engine = DriftAnalysis.greedyContinuation(fresh.executor(), fresh.executor(session.conversion()), prefix,
                batch.features(), 6, JobContext.NONE);
        assertEquals(engine.agreementPct(), o.agreementPct(), 1e-12);
    }

    @Test void sessionSampleFollowsTheModelKindAndDriftReadsIt(FxRobot robot) throws Exception {
        load(robot, "whisper-tiny");
        assertEquals(new SampleInput.Audio(null), session.sampleInput());
        SampleInput.Prepared p = session.sample(session.sampleInput());
        assertTrue(p.batch().features().containsKey(ModelGraph.INPUT_FEATURES));
        assertTrue(p.description().contains("3.0 s"), p.description());
        load(robot, "gpt2-tiny");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> session.model().displayName().contains("gpt2"));
        assertInstanceOf(SampleInput.Texts.class, session.sampleInput(), "a text model gets texts back");
        assertEquals(session.sampleTexts(), ((SampleInput.Texts) session.sampleInput()).texts());
    }
}
