package dev.anewb.cli;

import dev.anewb.model.Axis;
import dev.anewb.model.ModelGraph;
import dev.anewb.model.vit.ViTConfig;
import dev.anewb.runtime.Activation;

/** transformers reports pooled outputs as [batch, channels] and sequences as [batch, seq, channels]. */
final class TapShapes {
    private TapShapes() { }

    static long[] transformersShape(ModelGraph graph, String tap, Activation a) {
        // pixel_values is held as [B, channels, H·W]; transformers' shape is [B, channels, H, W]
        if (graph.config() instanceof ViTConfig c && tap.equals(ModelGraph.PIXEL_VALUES)) {
            return new long[]{a.batch(), a.length(), c.imageHeight(), c.imageWidth()};
        }
        boolean pooled = graph.value(graph.taps().get(tap)).axis() == Axis.POOLED;
        return pooled ? new long[]{a.batch(), a.channels()} : a.shape();
    }
}
