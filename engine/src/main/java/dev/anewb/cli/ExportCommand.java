package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.convert.Converter;
import dev.anewb.convert.OnnxExporter;
import dev.anewb.io.LoadedModel;
import dev.anewb.io.ModelLoader;
import dev.anewb.io.OwnInputs;
import dev.anewb.job.JobContext;
import dev.anewb.model.Conversion;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.ModelRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes the model, converted with the conversion options, as ONNX (IR 10, opset 21).",
                "INT8 weights are dequantized by Cast/Gather/Sub/Mul feeding MatMul (--dequantize blocked:",
                "opset-21 blocked DequantizeLinear, which ONNX Runtime 1.30+ rewrites into a less accurate MatMulNBits).",
                "Inputs: input_ids, attention_mask (and token_type_ids when the model has them), int64 [batch, sequence].",
                "Outputs: every tap (hidden_states.i, pooler_output, sentence_embedding, ...) under its transformers name.",
                "Defaults: --quant int8, --precision fp32 (fp16 inserts the executor's FP16 rounding as Cast pairs)."})
final class ExportCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin ConversionOptions conversion;

    @Option(names = "--onnx", required = true, paramLabel = "FILE", description = "The ONNX file to write.")
    Path onnx;

    @Option(names = "--force", description = "Replace FILE if it exists.")
    boolean force;

    @Option(names = "--dequantize", paramLabel = "explicit|blocked", defaultValue = "explicit",
            description = "INT8 weights as Cast/Gather/Sub/Mul (explicit), which every ONNX Runtime computes as this"
                    + " tool does, or as opset-21 blocked DequantizeLinear (blocked), which ONNX Runtime 1.30+ fuses"
                    + " into MatMulNBits with INT8 activations (about 1e-2 relative off) unless the session sets"
                    + " session.qdq_matmulnbits_accuracy_level=1. Default: ${DEFAULT-VALUE}.")
    String dequantize;

    @Override public Integer call() {
        OnnxExporter.Dequantize dq = switch (dequantize.toLowerCase(Locale.ROOT)) {
            case "blocked" -> OnnxExporter.Dequantize.BLOCKED;
            case "explicit" -> OnnxExporter.Dequantize.EXPLICIT;
            default -> throw AnewbException.usage("--dequantize " + dequantize + ": expected blocked or explicit");
        };
        Conversion c = conversion.toConversion(true, Conversion.Precision.FP32, Conversion.Layout.HF);
        if (Files.isDirectory(onnx)) throw AnewbException.usage(onnx + ": is a folder; --onnx needs a file name");
        if (Files.exists(onnx) && !force) throw AnewbException.usage(onnx + ": exists; add --force to replace it");
        PrintStream err = System.err;
        try (LoadedModel m = ModelLoader.load(ModelRef.parse(model.model), JobContext.NONE, true)) {
            m.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            OwnInputs.of(m).refuseOutput("--onnx", onnx);
            ModelGraph graph = m.graph();
            if (graph.conversion().isOriginal()) {
                Converter.Result r = Converter.convert(graph, c);
                for (String w : r.warnings()) err.println("anewb: warning: " + w);
                graph = r.graph();
            } else {
                err.println("anewb: note: " + m.displayName() + " is already converted; exporting it as stored (conversion options ignored)");
            }
            ProgressPrinter progress = new ProgressPrinter("export");
            try {
                OnnxExporter.export(graph, m.weights(), onnx, dq, progress);
            } finally {
                progress.done();
            }
            System.out.println("wrote " + onnx);
        }
        return 0;
    }
}
