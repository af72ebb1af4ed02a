package dev.anewb.model;

/** What a stored weight is for; decides whether block INT8 applies (spec/quantization.md). */
public enum WeightRole {
    /** nn.Linear / GPT-2 Conv1D weight: quantized. */
    PROJECTION,
    /** Token, position or type embedding table: not quantized unless asked. */
    EMBEDDING,
    /** lm_head (tied or not): not quantized unless asked. */
    HEAD,
    /** Convolutional front end (ViT patch embedding, Whisper conv1/conv2): not quantized. */
    CONV,
    /** LayerNorm / RMSNorm scale and shift. */
    NORM,
    /** Bias vectors. */
    BIAS,
    /** Anything else (CLS token, fixed buffers). */
    OTHER
}
