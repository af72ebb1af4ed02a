package dev.anewb.cli;

import dev.anewb.AnewbException;
import dev.anewb.api.ConvertedModel;
import dev.anewb.api.ModelSession;
import dev.anewb.convert.OnnxExporter;
import dev.anewb.convert.coreml.CoreMlOptions;
import dev.anewb.convert.coreml.CoreMlPreview;
import dev.anewb.convert.coreml.CoreMlTarget;
import dev.anewb.io.LoadedModel;
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
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes the model, converted with the conversion options, as ONNX (IR 10, opset 21) or as a "
                + "Core ML package.",
                "ONNX: INT8 weights are dequantized by Cast/Gather/Sub/Mul feeding MatMul (--dequantize blocked:",
                "  opset-21 blocked DequantizeLinear, which ONNX Runtime 1.30+ rewrites into a less accurate "
                + "MatMulNBits).",
                "  Inputs: input_ids, attention_mask (and token_type_ids when the model has them), int64 [batch, "
                + "sequence].",
                "  Outputs: every tap (hidden_states.i, pooler_output, sentence_embedding, ...) under its transformers "
                + "name.",
                "  Defaults: --quant int8, --precision fp32 (fp16 inserts the executor's FP16 rounding as Cast pairs).",
                "Core ML: an ML Program .mlpackage computing the converted graph op for op (block INT8 as",
                "  constexpr_blockwise_shift_scale, iOS18; per-channel as constexpr_affine_dequantize, iOS16;",
                "  --activations int8 as quantize/dequantize pairs in front of the projections, iOS17).",
                "  Inputs: input_ids, attention_mask (token_type_ids), int32 [1, sequence]; pixel_values or "
                + "input_features.",
                "  Outputs: last_hidden_state (pooler_output, sentence_embedding) or logits; Whisper: its encoder.",
                "  Defaults: the ANE configuration, --quant int8 --block-size 128 --precision fp16 --layout bc1s, "
                + "--seq 128."})
final class ExportCommand implements Callable<Integer> {
    @Mixin ModelArgument model;
    @Mixin ConversionOptions conversion;

    @Option(names = "--onnx", paramLabel = "FILE", description = "The ONNX file to write.")
    Path onnx;

    @Option(names = "--coreml", paramLabel = "DIR.mlpackage", description = "The Core ML package to write.")
    Path coreml;

    @Option(names = "--seq", paramLabel = "N|N1,N2,...", defaultValue = "128",
            description = "Core ML: the text sequence length, or a list of lengths (enumerated shapes, the flexible "
                    + "form the Neural Engine runs) (default ${DEFAULT-VALUE}).")
    String seq;

    @Option(names = "--seq-range", paramLabel = "MIN..MAX",
            description = "Core ML: a flexible text sequence length (RangeDim) instead of --seq.")
    String seqRange;

    @Option(names = "--min-os", paramLabel = "iOS16|iOS17|iOS18",
            description = "Core ML: the deployment target (default: the lowest the program's ops allow; block-wise "
                    + "INT8 needs iOS18, INT8 activations iOS17).")
    String minOs;

    @Option(names = "--kv-cache", paramLabel = "POSITIONS",
            description = "Core ML: a decoding step of --seq new tokens after a KV cache of POSITIONS positions, as "
                    + "explicit inputs (past_key_i, past_value_i, position_ids) and outputs (new_key_i, new_value_i).")
    Integer kvCache;

    @Option(names = "--decoder", description = "Core ML: an encoder-decoder model's decoder (Whisper), reading each "
            + "layer's cross-attention keys and values as inputs; without it, the encoder, which outputs them.")
    boolean decoder;

    @Option(names = "--io", paramLabel = "fp32|fp16", defaultValue = "fp32",
            description = "Core ML: float inputs and outputs, cast at the boundary of an FP16 program "
                    + "(default ${DEFAULT-VALUE}).")
    String io;

    @Option(names = "--force", description = "Replace FILE if it exists.")
    boolean force;

    @Option(names = "--dequantize", paramLabel = "explicit|blocked", defaultValue = "explicit",
            description = "INT8 weights as Cast/Gather/Sub/Mul (explicit), which every ONNX Runtime computes as this"
                    + " tool does, or as opset-21 blocked DequantizeLinear (blocked), which ONNX Runtime 1.30+ fuses"
                    + " into MatMulNBits with INT8 activations (about 1e-2 relative off) unless the session sets"
                    + " session.qdq_matmulnbits_accuracy_level=1. Default: ${DEFAULT-VALUE}.")
    String dequantize;

    @Override public Integer call() {
        if ((onnx == null) == (coreml == null)) {
            throw AnewbException.usage("give exactly one of --onnx FILE and --coreml DIR.mlpackage");
        }
        if (coreml != null) return coreMl();
        OnnxExporter.Dequantize dq = switch (dequantize.toLowerCase(Locale.ROOT)) {
            case "blocked" -> OnnxExporter.Dequantize.BLOCKED;
            case "explicit" -> OnnxExporter.Dequantize.EXPLICIT;
            default -> throw AnewbException.usage("--dequantize " + dequantize + ": expected blocked or explicit");
        };
        Conversion c = conversion.toConversion(true, Conversion.Precision.FP32, Conversion.Layout.HF);
        if (Files.isDirectory(onnx)) throw AnewbException.usage(onnx + ": is a folder; --onnx needs a file name");
        if (Files.exists(onnx) && !force) throw AnewbException.usage(onnx + ": exists; add --force to replace it");
        PrintStream err = System.err;
        try (ModelSession s = ModelSession.open(ModelRef.parse(model.model), true, JobContext.NONE)) {
            LoadedModel m = s.model();
            OwnInputs.of(m).refuseOutput("--onnx", onnx);
            if (m.isPackage()) {
                err.println("anewb: note: " + m.displayName()
                        + " is already converted; exporting it as stored (conversion"
                        + " options ignored)");
            }
            ConvertedModel cm = s.convert(m.isPackage() ? Conversion.ORIGINAL : c);
            for (String w : cm.warnings()) err.println("anewb: warning: " + w);
            ModelGraph graph = cm.graph();
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

    /** The Core ML package, with the drift measured on the built-in sample recorded in its metadata. */
    private int coreMl() {
        Conversion c = conversion.toConversion(Conversion.ANE_DEFAULT);
        if (seqRange != null && !seqRange.contains("..")) {
            throw AnewbException.usage("--seq-range must be MIN..MAX, not \"" + seqRange + "\"");
        }
        if (seq.contains("..")) {
            throw AnewbException.usage("--seq takes N or N1,N2,...; a range is --seq-range MIN..MAX");
        }
        CoreMlOptions.Sequence sequence = CoreMlOptions.Sequence.parse(seqRange != null ? seqRange : seq);
        boolean fp16Io = switch (io.toLowerCase(Locale.ROOT)) {
            case "fp32" -> false;
            case "fp16" -> true;
            default -> throw AnewbException.usage("--io must be fp32 or fp16, not \"" + io + "\"");
        };
        CoreMlTarget target = minOs == null ? null : CoreMlTarget.parse(minOs);
        CoreMlOptions options = new CoreMlOptions(sequence, target, fp16Io, force, Map.of()).withDecoder(decoder);
        if (kvCache != null) options = options.withKvCache(kvCache, sequence.length());
        if (Files.exists(coreml) && !force) {
            throw AnewbException.usage(coreml + ": already exists (use --force to replace it)");
        }
        ProgressPrinter progress = new ProgressPrinter("export");
        CoreMlPreview p;
        try (ModelSession s = ModelSession.open(ModelRef.parse(model.model), true, progress.slice(0, 0.1))) {
            LoadedModel m = s.model();
            OwnInputs.of(m).refuseOutput("--coreml", coreml);
            if (m.isPackage()) {
                System.err.println("anewb: note: " + m.displayName() + " is already converted; exporting it as stored "
                        + "(conversion options ignored)");
            }
            ConvertedModel converted = s.convert(m.isPackage() ? Conversion.ORIGINAL : c);
            converted.warnings().forEach(w -> System.err.println("anewb: warning: " + w));
            p = converted.writeCoreMl(coreml, options, progress.slice(0.1, 1));
        } finally {
            progress.done();
        }
        System.out.printf(Locale.ROOT, "wrote %s (%.1f MB, %d ops, minimum %s / %s)%n", coreml, p.packageBytes() / 1e6,
                p.operations(), p.minimumOs().label(), p.minimumOs().macOs());
        p.notes().forEach(n -> System.out.println("note: " + n));
        return 0;
    }
}
