package dev.anewb.app.memory;

import dev.anewb.ane.BufferKind;
import dev.anewb.ane.OpPlan;
import dev.anewb.ane.PlanTotals;
import dev.anewb.app.ui.CanvasRegion;
import javafx.geometry.VPos;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.Text;
import javafx.scene.text.TextAlignment;

import java.util.List;
import java.util.Locale;
import java.util.function.IntConsumer;

/**
 * The SRAM occupancy timeline: one canvas, ops along x in execution order, the planner's buffer bytes per op
 * stacked by {@link BufferKind}, the buffer size as a dashed line, spilling ops marked with red ticks under the
 * axis, the selected op as a band. With more ops than pixels each pixel column shows its fullest op, so a
 * thousand-op plan still draws in one pass of at most (width × kinds) rectangles. One or two panels (optimized
 * and baseline, each on its own x axis, sharing the y scale).
 */
public final class SramTimeline extends CanvasRegion {
    static final double LEFT = 64, RIGHT = 12, TOP = 22, BOTTOM = 34, GAP = 14;
    /** Stack colours, bottom to top; readable on light and dark backgrounds. */
    public static final List<Color> KIND_COLOURS = List.of(Color.web("#4E79A7"), Color.web("#59A14F"),
            Color.web("#76B7B2"), Color.web("#F28E2B"), Color.web("#B07AA1"));
    public static final Color SPILL = Color.web("#E15759");

    /** One panel: a title and a plan. */
    public record Panel(String title, PlanTotals totals) { }

    private List<Panel> panels = List.of();
    private long bufferBytes;
    private String bufferLabel = "";
    private int selected = -1;
    private Color ink = Color.web("#24292f");
    private IntConsumer onPick = i -> { };
    private IntConsumer onHover = i -> { };

    public SramTimeline() {
        getStyleClass().add("sram-timeline");
        setMinSize(200, 160);
        canvas.setOnMouseMoved(e -> onHover.accept(opAt(e.getX(), e.getY())));
        canvas.setOnMouseExited(e -> onHover.accept(-1));
        canvas.setOnMouseClicked(e -> {
            int i = opAt(e.getX(), e.getY());
            if (i >= 0) onPick.accept(i);
        });
    }

    public void setData(List<Panel> panels, long bufferBytes, String bufferLabel) {
        this.panels = List.copyOf(panels);
        this.bufferBytes = bufferBytes;
        this.bufferLabel = bufferLabel;
        draw();
    }

    /** Highlights op {@code index} of the first panel (its own index in the second). */
    public void setSelected(int index) {
        selected = index;
        draw();
    }

    public void setInk(Color c) {
        ink = c;
        draw();
    }

    /** Called with the op index under a click (first panel's op for clicks in it, likewise the second). */
    public void setOnPick(IntConsumer c) { onPick = c; }

    public void setOnHover(IntConsumer c) { onHover = c; }

    public Canvas canvas() { return canvas; }

    private double plotWidth() { return Math.max(10, canvas.getWidth() - LEFT - RIGHT); }

    private double panelHeight() {
        int n = Math.max(1, panels.size());
        return Math.max(20, (canvas.getHeight() - n * (TOP + BOTTOM) - (n - 1) * GAP) / n);
    }

    private double panelTop(int p) { return p * (TOP + panelHeight() + BOTTOM + GAP) + TOP; }

    /** The op index of the first panel (the table's plan) at canvas point (x, y), or -1 elsewhere. */
    public int opAt(double x, double y) {
        for (int p = 0; p < Math.min(1, panels.size()); p++) {
            double top = panelTop(p);
            if (y < top - TOP || y > top + panelHeight() + BOTTOM) continue;
            int n = panels.get(p).totals().ops().size();
            if (n == 0 || x < LEFT || x >= LEFT + plotWidth()) return -1;
            return (int) Math.min(n - 1, Math.floor((x - LEFT) / plotWidth() * n));
        }
        return -1;
    }

    /** The x centre of op {@code index} in a plot of {@code n} ops (tests click there). */
    public double xOf(int index, int n) { return LEFT + (index + 0.5) * plotWidth() / n; }

    /** The fullest op's bytes, or the buffer when some op comes near it. */
    private long yMax() {
        long ops = 1;
        for (Panel p : panels) for (OpPlan o : p.totals().ops()) ops = Math.max(ops, o.sramTotal());
        long m = bufferOffScale() ? ops : Math.max(ops, bufferBytes);
        return Math.max(1, m + m / 12);
    }

    /**
     * True when every op uses under a third of the buffer: drawn to the buffer's scale, a small model's bars would
     * be a few pixels high, so the plot scales to the ops and names the buffer above it instead.
     */
    boolean bufferOffScale() {
        long ops = 0;
        for (Panel p : panels) for (OpPlan o : p.totals().ops()) ops = Math.max(ops, o.sramTotal());
        return ops > 0 && bufferBytes > 3 * ops;
    }

    @Override protected void draw() {
        GraphicsContext g = canvas.getGraphicsContext2D();
        double w = canvas.getWidth(), h = canvas.getHeight();
        g.clearRect(0, 0, w, h);
        if (panels.isEmpty() || w < LEFT + RIGHT + 10 || h < TOP + BOTTOM + 10) return;
        g.setFont(Font.font(11));
        long ymax = yMax();
        boolean kib = ymax < (1 << 19);
        for (int p = 0; p < panels.size(); p++) {
            drawPanel(g, panels.get(p), panelTop(p), ymax, kib, p == 0, p == panels.size() - 1);
        }
        // One y title for all panels, centred on them together: two short panels must not print two overlapping ones.
        double span = panelTop(panels.size() - 1) + panelHeight() - TOP;
        String title = "buffer occupancy (" + (kib ? "KiB" : "MiB") + ")";
        if (textWidth(title) > span) title = kib ? "KiB" : "MiB";
        g.setFill(ink);
        yTitle(g, title, 14, TOP + span / 2);
    }

    private void drawPanel(GraphicsContext g, Panel panel, double top, long ymax, boolean kib, boolean first,
                           boolean last) {
        double pw = plotWidth(), ph = panelHeight(), bottom = top + ph;
        List<OpPlan> ops = panel.totals().ops();
        int n = ops.size();
        g.setFill(ink);
        g.setTextAlign(TextAlignment.LEFT);
        g.setTextBaseline(VPos.BOTTOM);
        g.fillText(panel.title(), LEFT, top - 4);
        // y grid and ticks in KiB or MiB
        double unit = kib ? 1 << 10 : 1 << 20;
        double step = niceStep(ymax / unit, Math.max(2, (int) (ph / 36)));
        g.setTextAlign(TextAlignment.RIGHT);
        g.setTextBaseline(VPos.CENTER);
        g.setLineWidth(1);
        for (double v = 0; v * unit <= ymax; v += step) {
            double y = bottom - v * unit / ymax * ph;
            g.setStroke(ink.deriveColor(0, 1, 1, 0.12));
            g.strokeLine(LEFT, Math.round(y) + 0.5, LEFT + pw, Math.round(y) + 0.5);
            g.setFill(ink);
            g.fillText(trim(v), LEFT - 6, y);
        }
        // layer boundaries
        g.setStroke(ink.deriveColor(0, 1, 1, 0.18));
        g.setLineDashes(2, 3);
        int prevLayer = Integer.MIN_VALUE;
        for (int i = 0; i < n; i++) {
            int layer = ops.get(i).layer();
            if (layer != prevLayer && i > 0) {
                double x = Math.round(LEFT + (double) i / n * pw) + 0.5;
                g.strokeLine(x, top, x, bottom);
            }
            prevLayer = layer;
        }
        g.setLineDashes();
        // stacks
        if (n > 0) {
            if (n <= pw) {
                for (int i = 0; i < n; i++) {
                    double x0 = LEFT + (double) i / n * pw, x1 = LEFT + (double) (i + 1) / n * pw;
                    stack(g, ops.get(i), x0, Math.max(1, x1 - x0 - (x1 - x0 > 4 ? 1 : 0)), bottom, ph, ymax);
                }
            } else {
                for (int px = 0; px < (int) pw; px++) {
                    int from = (int) ((long) px * n / (int) pw);
                    int to = (int) Math.max(from + 1, (long) (px + 1) * n / (int) pw);
                    OpPlan fullest = ops.get(from);
                    for (int i = from + 1; i < to; i++) {
                        if (ops.get(i).sramTotal() > fullest.sramTotal()) fullest = ops.get(i);
                    }
                    stack(g, fullest, LEFT + px, 1, bottom, ph, ymax);
                }
            }
        }
        // spills: red ticks under the axis
        g.setFill(SPILL);
        for (int i = 0; i < n; i++) {
            if (ops.get(i).spillBytes() <= 0) continue;
            double x = LEFT + (i + 0.5) / n * pw;
            g.fillPolygon(new double[]{x - 4, x + 4, x}, new double[]{bottom + 9, bottom + 9, bottom + 2}, 3);
        }
        // selected op
        if (first && selected >= 0 && selected < n) {
            double x0 = LEFT + (double) selected / n * pw, x1 = LEFT + (double) (selected + 1) / n * pw;
            g.setFill(ink.deriveColor(0, 1, 1, 0.10));
            g.fillRect(Math.min(x0, x1 - 3), top, Math.max(3, x1 - x0), ph);
            g.setStroke(ink);
            g.setLineWidth(1.5);
            g.strokeRect(Math.min(x0, x1 - 3), top, Math.max(3, x1 - x0), ph);
            g.setLineWidth(1);
        }
        // buffer line, or its size named above the plot when it is far above every op
        g.setFill(ink);
        g.setTextAlign(TextAlignment.RIGHT);
        if (bufferOffScale()) {
            g.setTextBaseline(VPos.BOTTOM);
            String above = bufferLabel + " ↑ above this scale";
            boolean meets = textWidth(panel.title()) + 12 + textWidth(above) > pw;
            if (!meets) g.fillText(above, LEFT + pw - 2, top - 4);
        } else {
            double yb = bottom - (double) bufferBytes / ymax * ph;
            g.setStroke(ink);
            g.setLineWidth(1.5);
            g.setLineDashes(6, 4);
            g.strokeLine(LEFT, yb, LEFT + pw, yb);
            g.setLineDashes();
            g.setLineWidth(1);
            // above the line, unless it would run into the panel title there (a narrow plot, a long chip name)
            boolean meetsTitle = yb - 16 < top && textWidth(panel.title()) + 12 + textWidth(bufferLabel) > pw;
            g.setTextBaseline(meetsTitle ? VPos.TOP : VPos.BOTTOM);
            g.fillText(bufferLabel, LEFT + pw - 2, meetsTitle ? yb + 3 : yb - 2);
        }
        // axes
        g.setStroke(ink.deriveColor(0, 1, 1, 0.6));
        g.strokeLine(LEFT + 0.5, top, LEFT + 0.5, bottom);
        g.strokeLine(LEFT, bottom + 0.5, LEFT + pw, bottom + 0.5);
        // x ticks (op index)
        g.setFill(ink);
        g.setTextAlign(TextAlignment.CENTER);
        g.setTextBaseline(VPos.TOP);
        double xstep = Math.max(1, niceStep(n, Math.max(2, (int) (pw / 70))));
        for (double i = 0; i < n; i += xstep) {
            g.fillText(Integer.toString((int) i), LEFT + (i + 0.5) / n * pw, bottom + 10);
        }
        if (last) {
            g.setTextBaseline(VPos.BOTTOM);
            String axis = "op # in execution order (dotted: layer boundaries; red ▲: op spills)";
            if (textWidth(axis) > pw + 2 * RIGHT) axis = "op # (dotted: layers; red ▲: spills)";
            g.fillText(axis, LEFT + pw / 2, bottom + BOTTOM);
        }
    }

    private static double textWidth(String s) {
        Text t = new Text(s);
        t.setFont(Font.font(11));
        return t.getLayoutBounds().getWidth();
    }

    private static void stack(GraphicsContext g, OpPlan o, double x, double width, double bottom, double ph,
                              long ymax) {
        double y = bottom;
        BufferKind[] kinds = BufferKind.values();
        for (int k = 0; k < kinds.length; k++) {
            long b = o.sram(kinds[k]);
            if (b <= 0) continue;
            double hh = (double) b / ymax * ph;
            g.setFill(KIND_COLOURS.get(k));
            g.fillRect(x, y - hh, width, hh);
            y -= hh;
        }
    }

    static double niceStep(double range, int ticks) {
        if (range <= 0) return 1;
        double raw = range / ticks, mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2g", v);
    }

    @Override protected double computePrefHeight(double width) { return 320; }

    @Override protected double computePrefWidth(double height) { return 800; }
}
