package dev.anewb.model;

import java.util.ArrayList;
import java.util.List;

/**
 * One operation of a {@link ModelGraph}. Ops read and write named {@link Value}s and name the weights they
 * use by their Hugging Face names. Every reader (executor, converter, planner, UI) switches over these
 * records; adding an op kind means the compiler shows every place that must learn it.
 *
 * <p>{@code layer} is the transformer block the op belongs to (-1 for embeddings and heads).
 */
public sealed interface Op {
    String name();

    int layer();

    List<String> inputs();

    String output();

    /** Weight names this op reads (for bytes and for the converter). */
    List<String> weights();

    /** Short kind name for tables ("linear", "attention", ...). */
    String kind();

    /** Token/position/type embedding lookup summed: out[t] = Σ table_i[index_i(t)]. Runs on the CPU on the ANE
     * (gather).
     */
    record Embed(String name, String ids, String output, String wordTable, String positionTable, int positionOffset,
                 String typeTable, String typeIds) implements Op {
        public int layer() { return -1; }
        public List<String> inputs() { return typeIds == null ? List.of(ids) : List.of(ids, typeIds); }
        public List<String> weights() {
            List<String> w = new ArrayList<>();
            w.add(wordTable);
            if (positionTable != null) w.add(positionTable);
            if (typeTable != null) w.add(typeTable);
            return w;
        }
        public String kind() { return "embed"; }
    }

    /** LayerNorm (bias may be null) or RMSNorm over the channel axis. */
    record Norm(String name, int layer, String input, String output, String weight, String bias, float eps, boolean rms)
            implements Op {
        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return bias == null ? List.of(weight) : List.of(weight, bias); }
        public String kind() { return rms ? "rmsnorm" : "layernorm"; }
    }

    /**
     * y = x Wᵀ + b with W logically [out, in] (a 1x1 convolution in the BC1S layout). With {@code inputQuant} (W8A8,
     * written by the converter) x is first stored as static per-tensor INT8.
     */
    record Linear(String name, int layer, String input, String output, String weight, String bias, int in, int out,
                  InputQuant inputQuant) implements Op {
        /** A float input, as an architecture builds it; the converter adds the INT8 input. */
        public Linear(String name, int layer, String input, String output, String weight, String bias, int in,
                      int out) {
            this(name, layer, input, output, weight, bias, in, out, null);
        }

        public Linear withInputQuant(InputQuant q) {
            return new Linear(name, layer, input, output, weight, bias, in, out, q);
        }

        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return bias == null ? List.of(weight) : List.of(weight, bias); }
        public String kind() { return "linear"; }
    }

    /**
     * Static per-tensor symmetric INT8 of an op's input, as coremltools' {@code linear_quantize_activations} writes it
     * (a {@code quantize}/{@code dequantize} pair, iOS17, no zero point):
     * <pre>
     * q  = clamp(rint(x / scale), −128, 127)      x / scale in float32; the clamp is the int8 range of Core ML's op
     * x' = q · scale                              exact in float32; rounded to FP16 in an FP16 conversion
     * </pre>
     * The scale comes from calibration ({@link #calibrated}); {@link #UNCALIBRATED} marks an op the converter chose
     * before any sample was run (the planner needs only which ops; nothing executes it).
     */
    record InputQuant(float scale) {
        public static final InputQuant UNCALIBRATED = new InputQuant(Float.NaN);
        /** The largest finite FP16 value: a larger calibrated range cannot be stored in an FP16 program anyway. */
        private static final float FP16_MAX = 65504f;

        /**
         * The scale coremltools derives from a calibrated range (optimize/_utils.py {@code quantize_weight_by_dtype},
         * mode LINEAR_SYMMETRIC, int8 range ±127): the range is rounded to FP16 first, then
         * scale = fp16(2·m / 254) = fp16(m / 127) computed in float32 (numpy's FP16 arithmetic), and a scale of 0
         * becomes 1.
         *
         * @param maxAbs max |x| over the calibration run
         */
        public static InputQuant calibrated(double maxAbs) {
            if (!(maxAbs >= 0)) {
                throw new IllegalArgumentException("calibrated range must be a number >= 0, got " + maxAbs);
            }
            float m = Float.float16ToFloat(Float.floatToFloat16((float) Math.min(maxAbs, FP16_MAX)));
            float s = Float.float16ToFloat(Float.floatToFloat16(m / 127f));
            return new InputQuant(s == 0 ? 1f : s);
        }

        public boolean isCalibrated() { return !Float.isNaN(scale); }
    }

    /**
     * Scaled dot-product attention over already projected q, k, v ([B, S, heads*headDim]); k and v may come
     * from another axis (cross-attention). Output [B, S, heads*headDim].
     *
     * @param causal     decoder self-attention
     * @param paddingMask the attention mask of the input applies to the keys
     * @param rope       rotary embedding applied to q and k, or null
     * @param scale      softmax scale (1/sqrt(headDim) unless the model says otherwise)
     * @param chunk      the chunked-attention band (spec/chunked-attention.md) the converter wrote, or null for full
     */
    record Attention(String name, int layer, String q, String k, String v, String output, int heads, int kvHeads,
                     int headDim, boolean causal, boolean paddingMask, Rope rope, float scale, boolean cross,
                             Chunk chunk)
            implements Op {
        /** Full attention, as an architecture builds it; the converter adds the chunk band. */
        public Attention(String name, int layer, String q, String k, String v, String output, int heads, int kvHeads,
                         int headDim, boolean causal, boolean paddingMask, Rope rope, float scale, boolean cross) {
            this(name, layer, q, k, v, output, heads, kvHeads, headDim, causal, paddingMask, rope, scale, cross, null);
        }

        public Attention withChunk(Chunk c) {
            return new Attention(name, layer, q, k, v, output, heads, kvHeads, headDim, causal, paddingMask, rope,
                    scale, cross, c);
        }

        /** Which keys each query of a sequence of {@code keys} positions sees: the chunk band, or all of them. */
        public ChunkPlan plan(int keys) {
            return chunk == null ? ChunkPlan.full(keys, causal)
                    : ChunkPlan.of(keys, chunk.window(), chunk.overlap(), causal);
        }

        public List<String> inputs() { return List.of(q, k, v); }
        public List<String> weights() { return List.of(); }
        public String kind() { return cross ? "cross-attention" : "attention"; }
    }

    /** Chunked attention: windows of {@code window} positions, consecutive windows sharing {@code overlap}. */
    record Chunk(int window, int overlap) { }

    /** Rotary position embedding parameters (Llama family). */
    record Rope(double theta, int rotaryDim, String scalingType, double factor, double lowFreqFactor,
                double highFreqFactor, int originalMaxPositions) { }

    /** Elementwise activation: gelu, gelu_new, relu, silu, tanh, quick_gelu. */
    record Activation(String name, int layer, String input, String output, String function) implements Op {
        /** transformers' ACT2FN names the executor runs. */
        public static boolean isSupported(String f) {
            return switch (f) {
                case "gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "relu", "silu", "swish",
                        "tanh",
                     "quick_gelu" -> true;
                default -> false;
            };
        }

        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return List.of(); }
        public String kind() { return "activation"; }
    }

    /** Elementwise a + b (residual). */
    record Add(String name, int layer, String a, String b, String output) implements Op {
        public List<String> inputs() { return List.of(a, b); }
        public List<String> weights() { return List.of(); }
        public String kind() { return "add"; }
    }

    /** Elementwise a * b (gated MLPs). */
    record Mul(String name, int layer, String a, String b, String output) implements Op {
        public List<String> inputs() { return List.of(a, b); }
        public List<String> weights() { return List.of(); }
        public String kind() { return "mul"; }
    }

    /**
     * Channels {@code [from, to)} of the input ([B, S, C] → [B, S, to − from]): GPT-2's fused c_attn output split
     * into q, k and v. Slicing output channels leaves every weight row, and so every INT8 block along the input
     * axis, as stored.
     */
    record Slice(String name, int layer, String input, String output, int from, int to) implements Op {
        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return List.of(); }
        public String kind() { return "slice"; }
    }

    /** The first position of each sequence ([B, S, C] → [B, 1, C]): BERT's pooler input, ViT's CLS. */
    record TakeFirst(String name, int layer, String input, String output) implements Op {
        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return List.of(); }
        public String kind() { return "take-first"; }
    }

    /** Mean over valid (mask = 1) positions, then optionally L2-normalised: sentence-transformers pooling. */
    record MeanPool(String name, String input, String output, boolean l2Normalize) implements Op {
        public int layer() { return -1; }
        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return List.of(); }
        public String kind() { return "mean-pool"; }
    }

    /**
     * ViT patch embedding: a convolution with kernel = stride = {@code patch} over {@code input} (pixel_values
     * [B, channels, H, W], read channels-first) giving one token per patch (row-major over the patch grid), then
     * the CLS token prepended and the position table added: [B, 1 + patches, hidden]. The convolution weight
     * [hidden, channels, patch, patch] has role CONV (never quantized); {@code clsToken}/{@code positions} may be null.
     */
    record PatchEmbed(String name, String input, String output, String weight, String bias, String clsToken,
            String positions,
                      int channels, int patch, int height, int width, int hidden) implements Op {
        public int layer() { return -1; }
        public List<String> inputs() { return List.of(input); }
        public List<String> weights() {
            List<String> w = new ArrayList<>();
            w.add(weight);
            if (bias != null) w.add(bias);
            if (clsToken != null) w.add(clsToken);
            if (positions != null) w.add(positions);
            return w;
        }
        public int patches() { return (height / patch) * (width / patch); }
        /** Multiply-adds per patch and output channel. */
        public int kernelSize() { return channels * patch * patch; }
        public String kind() { return "patch-embed"; }
    }

    /**
     * 1-D convolution over the sequence axis (Whisper's conv1/conv2): weight [out, in, kernel] (role CONV, never
     * quantized), zero padding, stride. With {@code channelsFirstInput} the input is read as [B, in, length]
     * (input_features: mel bins × frames); otherwise as [B, length, in]. The output is always [B, length', out]
     * with length' = (length + 2·padding − kernel) / stride + 1.
     */
    record Conv1d(String name, int layer, String input, String output, String weight, String bias, int in, int out,
            int kernel,
                  int stride, int padding, boolean channelsFirstInput) implements Op {
        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return bias == null ? List.of(weight) : List.of(weight, bias); }
        public int outputLength(int length) { return (length + 2 * padding - kernel) / stride + 1; }
        public String kind() { return "conv1d"; }
    }

    /** Adds rows {@code [0, length)} of a position table to a sequence (Whisper's encoder embed_positions). */
    record AddPositions(String name, int layer, String input, String output, String table) implements Op {
        public List<String> inputs() { return List.of(input); }
        public List<String> weights() { return List.of(table); }
        public String kind() { return "add-positions"; }
    }
}
