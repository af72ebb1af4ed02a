package dev.anewb.cli;

import dev.anewb.io.BundledModel;
import dev.anewb.io.OnnxWeights;
import dev.anewb.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code anewb export}: refuses to overwrite without --force, writes a readable ONNX file with it. */
class ExportCommandTest {
    @TempDir Path tmp;

    record Outcome(int exit, String err) { }

    static Outcome run(String... args) {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        return new Outcome(cl.execute(args), err.toString());
    }

    @Test
    void anExistingFileNeedsForce() throws IOException {
        Path out = tmp.resolve("minilm.onnx");
        Files.writeString(out, "keep me");
        Outcome refused = run("export", BundledModel.ID, "--onnx", out.toString());
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("--force"), refused.err());
        assertEquals("keep me", Files.readString(out), "the existing file is untouched");

        Outcome forced = run("export", BundledModel.ID, "--onnx", out.toString(), "--force", "--block-size", "64",
                "--dequantize", "blocked");
        assertEquals(0, forced.exit(), forced.err());
        try (OnnxWeights onnx = OnnxWeights.open(out)) {
            assertTrue(onnx.graphInputs().containsAll(List.of("input_ids", "attention_mask", "token_type_ids")),
                    onnx.graphInputs().toString());
            assertEquals("sentence_embedding", onnx.graphOutputs().getLast());
            assertEquals(6 * 6, onnx.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")).count(),
                    "every projection of the 6 layers is block-INT8 by default");
            // issue 17 #14: the file says what ONNX Runtime 1.30+ does with it
            assertEquals("blocked", onnx.metadata().get("anewb.dequantize"));
            assertTrue(onnx.metadata().get("anewb.onnxruntime").contains("session.qdq_matmulnbits_accuracy_level=1"),
                    onnx.metadata().toString());
            assertEquals(List.of(384L, 384L / 64),
                    List.of(onnx.rawInitializer("encoder.layer.0.attention.self.query.weight.scale").shape()[1],
                    onnx.rawInitializer("encoder.layer.0.attention.self.query.weight.scale").shape()[0]));
        }
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList(), "no temporary file is left beside the output");
        }
    }

    /** Issue 17 #14: the default export is the explicit form, which no ONNX Runtime rewrites into MatMulNBits. */
    @Test
    void theDefaultIsExplicitDequantization() throws IOException {
        Path out = tmp.resolve("default.onnx");
        Outcome o = run("export", BundledModel.ID, "--onnx", out.toString());
        assertEquals(0, o.exit(), o.err());
        try (OnnxWeights onnx = OnnxWeights.open(out)) {
            assertEquals(0, onnx.nodes().stream().filter(n -> n.opType().equals("DequantizeLinear")).count());
            assertEquals("explicit", onnx.metadata().get("anewb.dequantize"));
            assertEquals(null, onnx.metadata().get("anewb.onnxruntime"), "nothing to warn about");
        }
    }

    @Test
    void badConversionOptionsAreUsageErrors() {
        Path out = tmp.resolve("x.onnx");
        Outcome small = run("export", BundledModel.ID, "--onnx", out.toString(), "--block-size", "4");
        assertEquals(2, small.exit(), small.err());
        Outcome overlap = run("export", BundledModel.ID, "--onnx", out.toString(), "--chunk-window", "8",
                "--chunk-overlap", "8");
        assertEquals(2, overlap.exit(), overlap.err());
        assertTrue(overlap.err().contains("overlap"), overlap.err());
        assertTrue(Files.notExists(out));
    }

    /** --coreml writes the package in the ANE default; a block size Core ML cannot express is refused before writing.
     *
     */
    @Test
    void coreMlPackage() throws IOException {
        Path out = tmp.resolve("bert.mlpackage");
        String bert = Fixtures.fixture("bert-tiny").toString();
        Outcome written = run("export", bert, "--coreml", out.toString(), "--seq", "32");
        assertEquals(0, written.exit(), written.err());
        assertTrue(Files.isRegularFile(out.resolve("Data/com.apple.CoreML/weights/weight.bin")));
        assertTrue(Files.isRegularFile(out.resolve("Manifest.json")));
        Outcome refused = run("export", bert, "--coreml", tmp.resolve("b.mlpackage").toString(), "--block-size", "48");
        assertEquals(2, refused.exit(), refused.err());
        assertTrue(refused.err().contains("valid block sizes for this model are 8, 16, 32, 64 or ≥ 128 (per-channel)"),
                refused.err());
        assertTrue(Files.notExists(tmp.resolve("b.mlpackage")));
        Outcome both = run("export", bert, "--coreml", out.toString(), "--onnx", tmp.resolve("x.onnx").toString());
        assertEquals(2, both.exit(), both.err());
        Outcome again = run("export", bert, "--coreml", out.toString());
        assertEquals(2, again.exit(), again.err());
        assertTrue(again.err().contains("--force"), again.err());
    }

    @Test
    void helpSaysWhereFp16RoundingHappens() {
        CommandLine cl = AnewbCli.commandLine(List.of());
        StringWriter out = new StringWriter();
        cl.setOut(new PrintWriter(out));
        assertEquals(0, cl.execute("export", "--help"));
        String help = out.toString().replaceAll("\\s+", " ");
        for (String s : List.of("--quant", "--block-size", "--symmetric", "--precision", "--layout", "--chunk-window",
                "--chunk-overlap",
                "--keep-fp16", "--block-override", "--force", "--dequantize", "is rounded to FP16",
                        "Accumulation stays FP32")) {
            assertTrue(help.contains(s), "help mentions " + s + ":\n" + out);
        }
    }
}
