package dev.anewb.app;

import javafx.geometry.BoundingBox;
import javafx.geometry.Bounds;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.chart.Chart;
import javafx.scene.control.Control;
import javafx.scene.control.Labeled;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.skin.VirtualContainerBase;
import javafx.scene.control.skin.VirtualFlow;
import javafx.scene.text.Text;

import java.util.ArrayList;
import java.util.List;

/**
 * What a user sees as broken text in a laid-out window: a visible label whose text the skin had to cut to an
 * ellipsis, two visible labels drawn over each other, and a label cut by the edge of the area that holds it (outside
 * anything that scrolls). Each problem names the label's id or text, so a failure says where to look.
 */
final class LayoutCheck {
    private LayoutCheck() { }

    /** Every problem among the visible labels under {@code root} (its scene laid out), none when all read whole. */
    static List<String> problems(Parent root, Node area) {
        List<Labeled> labels = new ArrayList<>();
        collect(root, labels);
        List<String> out = new ArrayList<>();
        Bounds edge = area.localToScene(area.getLayoutBounds());
        for (Labeled l : labels) {
            String shown = shownText(l);
            String text = l.getText();
            if (shown != null && text != null && !shown.equals(text) && (shown.endsWith(l.getEllipsisString())
                    || shown.endsWith("…") || shown.endsWith("..."))) {
                out.add("cut to an ellipsis: " + name(l) + " shows \"" + shown + "\"");
            }
            Bounds b = l.localToScene(l.getLayoutBounds());
            if (inside(l, area) && !scrolls(l, area) && b.getMinX() < edge.getMaxX() - 1
                    && b.getMaxX() > edge.getMaxX() + 2) {
                out.add("cut by the area's right edge: " + name(l) + " ends at x " + Math.round(b.getMaxX())
                        + ", the area at " + Math.round(edge.getMaxX()));
            }
        }
        for (int i = 0; i < labels.size(); i++) {
            Labeled a = labels.get(i);
            if (!hasText(a) || inPlot(a)) continue;
            Bounds ba = seen(a, textBounds(a));
            for (int j = i + 1; j < labels.size(); j++) {
                Labeled b = labels.get(j);
                if (!hasText(b) || inPlot(b) || related(a, b)) continue;
                Bounds bb = seen(b, textBounds(b));
                if (ba == null || bb == null) continue;
                double w = Math.min(ba.getMaxX(), bb.getMaxX()) - Math.max(ba.getMinX(), bb.getMinX());
                double h = Math.min(ba.getMaxY(), bb.getMaxY()) - Math.max(ba.getMinY(), bb.getMinY());
                if (w > 2 && h > 2) out.add("overlap: " + name(a) + " and " + name(b));
            }
        }
        return out;
    }

    private static void collect(Node n, List<Labeled> out) {
        if (!n.isVisible() || n.getOpacity() == 0) return;
        if (n instanceof Labeled l && l.getWidth() > 0 && l.getHeight() > 0
                && seen(l, l.localToScene(l.getLayoutBounds())) != null) {
            out.add(l);
        }
        if (n instanceof Parent p) for (Node c : p.getChildrenUnmodifiable()) collect(c, out);
    }

    /**
     * The part of {@code b} (scene coordinates) left after the window and every clip above {@code n} (a table's
     * header row, a scrolled list, the area host): what is really drawn; null when nothing is.
     */
    private static Bounds seen(Node n, Bounds b) {
        if (n.getScene() == null) return null;
        double x0 = Math.max(0, b.getMinX()), y0 = Math.max(0, b.getMinY());
        double x1 = Math.min(n.getScene().getWidth(), b.getMaxX());
        double y1 = Math.min(n.getScene().getHeight(), b.getMaxY());
        for (Node p = n.getParent(); p != null; p = p.getParent()) {
            if (p.getClip() == null) continue;
            Bounds c = p.localToScene(p.getClip().getBoundsInParent());
            x0 = Math.max(x0, c.getMinX());
            y0 = Math.max(y0, c.getMinY());
            x1 = Math.min(x1, c.getMaxX());
            y1 = Math.min(y1, c.getMaxY());
        }
        return x1 - x0 < 1 || y1 - y0 < 1 ? null : new BoundingBox(x0, y0, x1 - x0, y1 - y0);
    }

    private static boolean inside(Node n, Node area) {
        for (Node p = n.getParent(); p != null; p = p.getParent()) if (p == area) return true;
        return false;
    }

    /** The text the skin draws (null before the skin exists). */
    private static String shownText(Labeled l) {
        for (Node c : l.getChildrenUnmodifiable()) if (c instanceof Text t) return t.getText();
        return null;
    }

    private static boolean hasText(Labeled l) {
        String s = shownText(l);
        return s != null && !s.isBlank();
    }

    /** The drawn text's bounds: a label stretched wider than its text does not overlap what its empty part covers. */
    private static Bounds textBounds(Labeled l) {
        for (Node c : l.getChildrenUnmodifiable()) if (c instanceof Text t) return t.localToScene(t.getLayoutBounds());
        return l.localToScene(l.getLayoutBounds());
    }

    /** Chart data drawn as labels (the sweep's points) may sit on each other, as points of any scatter do. */
    private static boolean inPlot(Node n) {
        for (Node p = n.getParent(); p != null; p = p.getParent()) {
            if (p.getStyleClass().contains("chart-content")) return true;
            if (p instanceof Chart) return false;
        }
        return false;
    }

    /** One inside the other (a label in a button's graphic, a cell in its list) is one thing on screen. */
    private static boolean related(Node a, Node b) {
        for (Node p = a.getParent(); p != null; p = p.getParent()) if (p == b) return true;
        for (Node p = b.getParent(); p != null; p = p.getParent()) if (p == a) return true;
        return false;
    }

    /** Whether something between the label and the area scrolls (its content may extend past the area's edge). */
    private static boolean scrolls(Node n, Node area) {
        for (Node p = n.getParent(); p != null && p != area; p = p.getParent()) {
            // a table's header row scrolls sideways with its rows
            if (p instanceof ScrollPane || p instanceof VirtualFlow<?>
                    || p instanceof Control c && c.getSkin() instanceof VirtualContainerBase<?, ?>) {
                return true;
            }
        }
        return false;
    }

    private static String name(Labeled l) {
        String id = l.getId() != null ? "#" + l.getId() : l.getClass().getSimpleName();
        return id + " \"" + (l.getText() == null ? "" : l.getText().lines().findFirst().orElse("")) + "\"";
    }
}
