package dev.anewb.app.session;

import dev.anewb.model.Axis;
import dev.anewb.model.ModelGraph;

import java.util.Locale;

/**
 * The sequence length the planner areas really plan, from the one the user asked for: a vision model's token count
 * is fixed by its image size, and no model is planned past its context (the CLI refuses that; the app plans at the
 * context and says so). Whisper's length is its decoder's; its encoder always sees its fixed frames.
 *
 * @param note why {@code planned} differs from {@code asked}, or what it counts; "" when there is nothing to say
 */
public record PlanLength(int asked, int planned, String note) {
    public static PlanLength of(ModelGraph graph, int asked) {
        Integer fixed = graph.fixedLength(Axis.TOKENS);
        if (fixed != null) {
            return new PlanLength(asked, fixed, fixed + " tokens, fixed by the model's input size");
        }
        Integer encoder = graph.fixedLength(Axis.ENCODER);
        int context = graph.config().maxPositions();
        boolean capped = context > 0 && asked > context;
        int planned = capped ? context : asked;
        String cap = capped ? String.format(Locale.ROOT, "%d asked, the model's context is %d", asked, context) : "";
        if (encoder != null) {
            String what = planned + " decoder tokens · encoder " + encoder + " frames (fixed)";
            return new PlanLength(asked, planned, cap.isEmpty() ? what : what + " · " + cap);
        }
        return new PlanLength(asked, planned, cap);
    }

    /** "seq 17 (17 tokens, fixed by …)" or "seq 128". */
    public String caption() {
        return "seq " + planned + (note.isEmpty() ? "" : " (" + note + ")");
    }
}
