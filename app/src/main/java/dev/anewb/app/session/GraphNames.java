package dev.anewb.app.session;

import dev.anewb.model.ModelGraph;
import dev.anewb.model.Op;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One naming scheme for every area: the graph's op names ({@code layers.3.q}, {@code encoder.layers.1.mlp_out}) and
 * tap names (spec/drift.md: {@code hidden_states.i}, {@code encoder_hidden_states.i}, {@code layers.i.attn_out}) say
 * which layer of which stack a thing belongs to; a Hugging Face weight name is shown beside the op that reads it.
 */
public final class GraphNames {
    private GraphNames() { }

    /**
     * A transformer block: {@code stack} is "" for single-stack models, "encoder" or "decoder" for Whisper;
     * {@code index} counts within the stack from 0.
     */
    public record Layer(String stack, int index) {
        /** "layer 3", "encoder layer 1". */
        public String label() { return (stack.isEmpty() ? "" : stack + " ") + "layer " + index; }

        /** The prefix of its ops and inner taps: "layers.3." or "decoder.layers.0.". */
        public String prefix() { return (stack.isEmpty() ? "" : stack + ".") + "layers." + index + "."; }

        /** The tap of its output: {@code hidden_states.(i+1)} or {@code encoder_hidden_states.(i+1)}. */
        public String outputTap() { return (stack.isEmpty() ? "" : stack + "_") + "hidden_states." + (index + 1); }
    }

    /** "" , "encoder" or "decoder": the stack a tap or op name belongs to. */
    public static String stackOf(String name) {
        if (name.startsWith("encoder_") || name.startsWith("encoder.")) return "encoder";
        if (name.startsWith("decoder_") || name.startsWith("decoder.")) return "decoder";
        return "";
    }

    /** Whether a tap is a layer output (one point per layer on a chart): {@code [encoder_|decoder_]hidden_states.i}. */
    public static boolean isLayerOutput(String tap) {
        return hiddenIndex(tap) >= 0;
    }

    /** i of {@code [encoder_|decoder_]hidden_states.i}, else −1. */
    private static int hiddenIndex(String tap) {
        int at = tap.indexOf("hidden_states.");
        String before = at < 0 ? "" : tap.substring(0, at);
        if (at < 0 || !(at == 0 || before.equals("encoder_") || before.equals("decoder_"))) {
            return -1;
        }
        return parse(tap.substring(at + "hidden_states.".length()));
    }

    /**
     * The block a tap or op belongs to: {@code hidden_states.i} is the output of layer i−1 (0 is the embeddings: no
     * layer), {@code [stack.]layers.i.*} is layer i, {@code [stack.]hidden.i} (an op) is layer i−1; else null.
     */
    public static Layer layerOf(String name) {
        String stack = stackOf(name);
        int hidden = hiddenIndex(name);
        if (hidden >= 0) return hidden == 0 ? null : new Layer(stack, hidden - 1);
        String rest = stack.isEmpty() ? name : name.substring(stack.length() + 1);
        if (rest.startsWith("layers.")) {
            int dot = rest.indexOf('.', 7);
            int i = parse(dot < 0 ? rest.substring(7) : rest.substring(7, dot));
            return i < 0 ? null : new Layer(stack, i);
        }
        if (rest.startsWith("hidden.")) {
            int i = parse(rest.substring(7));
            return i <= 0 ? null : new Layer(stack, i - 1);
        }
        return null;
    }

    private static int parse(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * A short axis label in the ops' numbering: "emb" for the embeddings ({@code hidden_states.0}), "L3" for the
     * output of layer 3 ({@code hidden_states.4}, the layer whose ops are {@code layers.3.*}), "L3 attn" / "L3 mlp" for
     * its inner taps, "enc L2" / "dec L1" for Whisper's stacks; other taps keep their name.
     */
    public static String shortLabel(String tap) {
        String stack = stackOf(tap);
        String pre = stack.isEmpty() ? "" : stack.substring(0, 3) + " ";
        if (hiddenIndex(tap) == 0) return pre + "emb";
        Layer l = layerOf(tap);
        if (l == null) return tap;
        if (isLayerOutput(tap)) return pre + "L" + l.index();
        return pre + "L" + l.index() + " " + tap.substring(tap.lastIndexOf('.') + 1).replace("_out", "");
    }

    /** Every tap of {@code graph} in the order its producing ops run (inputs first). */
    public static List<String> tapOrder(ModelGraph graph) {
        Map<String, Integer> opIndex = new HashMap<>();
        for (int i = 0; i < graph.ops().size(); i++) opIndex.put(graph.ops().get(i).output(), i);
        List<String> taps = new ArrayList<>(graph.taps().keySet());
        taps.sort(Comparator.comparingInt(t -> opIndex.getOrDefault(graph.taps().get(t), -1)));
        return taps;
    }

    /** Weight name → the op that reads it ({@code encoder.layer.0.attention.self.query.weight → layers.0.q}). */
    public static Map<String, String> opOfWeight(ModelGraph graph) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Op op : graph.ops()) for (String w : op.weights()) out.putIfAbsent(w, op.name());
        return out;
    }

    /** The op producing {@code tap}'s value, or null (an input). */
    public static String opOfTap(ModelGraph graph, String tap) {
        String value = graph.taps().get(tap);
        if (value == null) return null;
        for (Op op : graph.ops()) if (op.output().equals(value)) return op.name();
        return null;
    }
}
