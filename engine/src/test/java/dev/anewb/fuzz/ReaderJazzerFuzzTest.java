package dev.anewb.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.anewb.AnewbException;

/**
 * Coverage-guided fuzzing of the same readers and mutations as {@link ReaderFuzzTest}, driven by Jazzer: the
 * fuzzer's input chooses the seed, the mutations and their positions, so it learns which choices reach new code.
 * Without {@code JAZZER_FUZZ=1} each test runs once on its stored inputs (regression mode, part of the suite).
 * A fuzzing run takes one reader at a time:
 * {@code JAZZER_FUZZ=1 ./mvnw -pl engine test -Dtest='ReaderJazzerFuzzTest#onnx' -Danewb.test.xmx=768m}
 * (findings land in {@code src/test/resources/dev/anewb/fuzz/ReaderJazzerFuzzTestInputs/<reader>/} and then
 * replay in every normal build).
 */
class ReaderJazzerFuzzTest {
    private static void fuzz(String reader, FuzzedDataProvider data) throws Exception {
        ReaderTargets.Target target = ReaderTargets.get(reader);
        Mutator.Choices choices = new Mutator.Choices() {
            @Override public int pick(int bound) { return data.consumeInt(0, bound - 1); }
            @Override public long anyLong() { return data.consumeLong(); }
        };
        try {
            target.run(Mutator.mutate(target.seeds(), choices));
        } catch (AnewbException expected) {
            // a refusal with a message is the correct answer to a broken file
        }
    }

    @FuzzTest(maxDuration = "3m") void safetensors(FuzzedDataProvider d) throws Exception { fuzz("safetensors", d); }

    @FuzzTest(maxDuration = "3m") void config(FuzzedDataProvider d) throws Exception { fuzz("config", d); }

    @FuzzTest(maxDuration = "3m") void tokenizer(FuzzedDataProvider d) throws Exception { fuzz("tokenizer", d); }

    @FuzzTest(maxDuration = "3m") void onnx(FuzzedDataProvider d) throws Exception { fuzz("onnx", d); }

    @FuzzTest(maxDuration = "3m") void index(FuzzedDataProvider d) throws Exception { fuzz("index", d); }

    @FuzzTest(maxDuration = "3m") void manifest(FuzzedDataProvider d) throws Exception { fuzz("manifest", d); }

    @FuzzTest(maxDuration = "3m") void image(FuzzedDataProvider d) throws Exception { fuzz("image", d); }

    @FuzzTest(maxDuration = "3m") void wav(FuzzedDataProvider d) throws Exception { fuzz("wav", d); }
}
