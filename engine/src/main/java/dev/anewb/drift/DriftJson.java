package dev.anewb.drift;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/** Drift as JSON, one form for the CLI's {@code --json}, the package manifest and the app's reports. */
public final class DriftJson {
    private DriftJson() { }

    /** The drift JSON of spec/cli.md: name, sqnr_db (null when exact), cosine, rel_l2, max_abs. */
    public static ArrayNode taps(List<TapMetrics> taps) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (TapMetrics t : taps) {
            ObjectNode o = a.addObject();
            o.put("name", t.name());
            if (t.exact()) o.putNull("sqnr_db");
            else o.put("sqnr_db", t.sqnrDb());
            o.put("cosine", t.cosine());
            o.put("rel_l2", t.relL2());
            o.put("max_abs", t.maxAbs());
        }
        return a;
    }
}
