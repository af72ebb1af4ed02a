package dev.anewb.app.weights;

import dev.anewb.app.ui.CanvasRegion;
import javafx.geometry.VPos;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.TextAlignment;

import java.util.List;
import java.util.Locale;

/**
 * The block errors' histogram on a numeric axis: bars side by side, five labelled ticks along the error axis instead
 * of a label per bar (two dozen rotated labels overlap).
 */
public final class Histogram extends CanvasRegion {
    static final double LEFT = 48, RIGHT = 14, TOP = 10, BOTTOM = 38;
    private List<WeightsViewModel.Bin> bins = List.of();
    private String axis = "";
    private Color ink = Color.web("#24292f");
    private static final Color BAR = Color.web("#e8590c");

    public Histogram() {
        setMinSize(160, 100);
    }

    public void setData(List<WeightsViewModel.Bin> bins, String axis) {
        this.bins = List.copyOf(bins);
        this.axis = axis;
        draw();
    }

    public void setInk(Color c) {
        ink = c;
        draw();
    }

    @Override protected void draw() {
        GraphicsContext g = canvas.getGraphicsContext2D();
        double w = canvas.getWidth(), h = canvas.getHeight();
        g.clearRect(0, 0, w, h);
        if (bins.isEmpty() || w < LEFT + RIGHT + 20 || h < TOP + BOTTOM + 20) return;
        double pw = w - LEFT - RIGHT, ph = h - TOP - BOTTOM;
        int max = 1;
        for (WeightsViewModel.Bin b : bins) max = Math.max(max, b.count());
        double lo = bins.getFirst().from(), hi = bins.getLast().to(), span = hi - lo;
        g.setFont(Font.font(11));
        g.setFill(BAR);
        for (WeightsViewModel.Bin b : bins) {
            double x0 = LEFT + (b.from() - lo) / span * pw, x1 = LEFT + (b.to() - lo) / span * pw;
            double bh = (double) b.count() / max * ph;
            g.fillRect(x0 + 0.5, TOP + ph - bh, Math.max(1, x1 - x0 - 1), bh);
        }
        g.setStroke(ink.deriveColor(0, 1, 1, 0.6));
        g.strokeLine(LEFT + 0.5, TOP, LEFT + 0.5, TOP + ph);
        g.strokeLine(LEFT, TOP + ph + 0.5, LEFT + pw, TOP + ph + 0.5);
        g.setFill(ink);
        g.setTextAlign(TextAlignment.RIGHT);
        g.setTextBaseline(VPos.CENTER);
        g.fillText(Integer.toString(max), LEFT - 5, TOP);
        g.fillText("0", LEFT - 5, TOP + ph);
        yTitle(g, "blocks", 12, TOP + ph / 2);
        g.setTextAlign(TextAlignment.CENTER);
        g.setTextBaseline(VPos.TOP);
        for (int i = 0; i <= 4; i++) {
            double v = lo + span * i / 4;
            g.setTextAlign(i == 0 ? TextAlignment.LEFT : i == 4 ? TextAlignment.RIGHT : TextAlignment.CENTER);
            g.fillText(String.format(Locale.ROOT, "%.2e", v), LEFT + pw * i / 4, TOP + ph + 4);
        }
        g.setTextAlign(TextAlignment.CENTER);
        g.fillText(axis, LEFT + pw / 2, TOP + ph + 20);
    }

    @Override protected double computePrefWidth(double height) { return 360; }

    @Override protected double computePrefHeight(double width) { return 200; }
}
