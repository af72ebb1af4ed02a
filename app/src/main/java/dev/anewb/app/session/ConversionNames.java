package dev.anewb.app.session;

import dev.anewb.model.Conversion;
import dev.anewb.quant.BlockQuantizer;

import java.util.ArrayList;
import java.util.List;

/** A configuration in a few words, the same in every area (legends, the pinned curve, cards, the sweep). */
public final class ConversionNames {
    private ConversionNames() { }

    /** "INT8 b128 sym · W8A8 · FP16 · BC1S · chunk 64/16". */
    public static String describe(Conversion c) {
        List<String> parts = new ArrayList<>();
        if (c.int8()) {
            parts.add("INT8 " + block(c.blockSize()) + (c.symmetric() ? " sym" : ""));
            if (!c.keepFp16().isEmpty() || !c.blockOverrides().isEmpty()) {
                parts.add((c.keepFp16().size() + c.blockOverrides().size()) + " overrides");
            }
        }
        if (c.quantizesActivations()) parts.add("W8A8");
        parts.add(c.precision().name());
        parts.add(c.layout().name());
        if (c.chunked()) parts.add("chunk " + c.chunkWindow() + "/" + c.chunkOverlap());
        return String.join(" · ", parts);
    }

    /** "b128" or "per-channel". */
    public static String block(int blockSize) {
        return blockSize == BlockQuantizer.PER_CHANNEL ? "per-channel" : "b" + blockSize;
    }
}
