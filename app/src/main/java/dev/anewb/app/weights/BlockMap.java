package dev.anewb.app.weights;

import dev.anewb.app.ui.CanvasRegion;
import javafx.geometry.VPos;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.TextAlignment;

import java.util.Locale;

/**
 * A per-block map of one weight: one cell per (output row, input block), drawn from one image scaled without
 * smoothing, with its axes (output rows down, input channels across, in block units), the block boundaries where a
 * block is wide enough to show them, and a colour bar with the values its ends stand for.
 */
public final class BlockMap extends CanvasRegion {
    static final double LEFT = 52, RIGHT = 84, TOP = 8, BOTTOM = 34;
    private WritableImage image;
    private int rows, blocks, blockSize;
    private float lo, hi;
    private String what = "";
    private Color ink = Color.web("#24292f");

    public BlockMap() {
        setMinSize(160, 100);
    }

    /**
     * Shows {@code values} ({@code [rows, blocks]} row-major) of blocks {@code blockSize} inputs wide; null clears.
     */
    public void setData(float[] values, int rows, int blocks, int blockSize, String what) {
        this.rows = rows;
        this.blocks = blocks;
        this.blockSize = blockSize;
        this.what = what;
        if (values == null || rows == 0 || blocks == 0) {
            image = null;
        } else {
            lo = Float.MAX_VALUE;
            hi = -Float.MAX_VALUE;
            for (float x : values) {
                lo = Math.min(lo, x);
                hi = Math.max(hi, x);
            }
            int[] argb = new int[rows * blocks];
            float span = hi - lo;
            for (int i = 0; i < argb.length; i++) argb[i] = ramp(span <= 0 ? 0 : (values[i] - lo) / span);
            image = new WritableImage(blocks, rows);
            PixelWriter w = image.getPixelWriter();
            w.setPixels(0, 0, blocks, rows, PixelFormat.getIntArgbInstance(), argb, 0, blocks);
        }
        draw();
    }

    public void setInk(Color c) {
        ink = c;
        draw();
    }

    /** The drawn image (tests read its pixels). */
    public WritableImage image() { return image; }

    @Override protected void draw() {
        GraphicsContext g = canvas.getGraphicsContext2D();
        double w = canvas.getWidth(), h = canvas.getHeight();
        g.clearRect(0, 0, w, h);
        if (image == null || w < LEFT + RIGHT + 20 || h < TOP + BOTTOM + 20) return;
        double pw = w - LEFT - RIGHT, ph = h - TOP - BOTTOM;
        g.setImageSmoothing(false);
        g.drawImage(image, LEFT, TOP, pw, ph);
        g.setFont(Font.font(11));
        g.setFill(ink);
        g.setStroke(ink.deriveColor(0, 1, 1, 0.5));
        g.setLineWidth(1);
        g.strokeRect(LEFT + 0.5, TOP + 0.5, pw - 1, ph - 1);
        // block boundaries, where a block is at least 6 px wide
        double cell = pw / blocks;
        if (cell >= 6 && blocks > 1) {
            g.setStroke(Color.color(0, 0, 0, 0.35));
            for (int b = 1; b < blocks; b++) {
                double x = Math.round(LEFT + b * cell) + 0.5;
                g.strokeLine(x, TOP, x, TOP + ph);
            }
        }
        // y: output rows
        g.setTextAlign(TextAlignment.RIGHT);
        g.setTextBaseline(VPos.CENTER);
        for (int r : ticks(rows)) g.fillText(Integer.toString(r), LEFT - 5, TOP + (r + 0.5) * ph / rows);
        yTitle(g, "output row", 12, TOP + ph / 2);
        // x: input blocks, labelled by their first input channel
        g.setTextAlign(TextAlignment.CENTER);
        g.setTextBaseline(VPos.TOP);
        for (int b : ticks(blocks)) {
            g.fillText(Long.toString((long) b * blockSize), LEFT + (b + 0.5) * cell, TOP + ph + 3);
        }
        g.fillText(blocks == 1 ? "input channels (one block per row)" : "input channel (blocks of " + blockSize + ")",
                LEFT + pw / 2, TOP + ph + 17);
        // colour bar with its ends' values
        double bx = LEFT + pw + 12, bw = 12;
        for (int y = 0; y < (int) ph; y++) {
            int c = ramp(1 - y / ph);
            g.setFill(Color.rgb((c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF));
            g.fillRect(bx, TOP + y, bw, 1);
        }
        g.setFill(ink);
        g.setTextAlign(TextAlignment.LEFT);
        g.setTextBaseline(VPos.TOP);
        g.fillText(format(hi), bx + bw + 4, TOP);
        g.setTextBaseline(VPos.BOTTOM);
        g.fillText(format(lo), bx + bw + 4, TOP + ph);
        g.setTextBaseline(VPos.CENTER);
        g.fillText(what, bx + bw + 4, TOP + ph / 2);
    }

    private static String format(float v) { return String.format(Locale.ROOT, "%.2e", v); }

    /** Up to five ticks at round positions in [0, n). */
    static int[] ticks(int n) {
        if (n <= 1) return new int[]{0};
        int step = Math.max(1, (int) niceStep(n / 4.0));
        int count = (n - 1) / step + 1;
        int[] out = new int[count];
        for (int i = 0; i < count; i++) out[i] = i * step;
        return out;
    }

    private static double niceStep(double raw) {
        double mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
        return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    }

    /** Dark blue → teal → yellow (viridis-like), readable on light and dark themes. */
    static int ramp(double t) {
        float[][] stops = {{0.27f, 0.00f, 0.33f}, {0.23f, 0.32f, 0.55f}, {0.13f, 0.57f, 0.55f}, {0.37f, 0.79f, 0.38f},
                {0.99f, 0.91f, 0.15f}};
        double x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
        int i = Math.min(stops.length - 2, (int) x);
        double f = x - i;
        int r = (int) (255 * (stops[i][0] + f * (stops[i + 1][0] - stops[i][0])));
        int g = (int) (255 * (stops[i][1] + f * (stops[i + 1][1] - stops[i][1])));
        int b = (int) (255 * (stops[i][2] + f * (stops[i + 1][2] - stops[i][2])));
        return 0xFF000000 | (r << 16) | (g << 8) | b;
    }

    @Override protected double computePrefWidth(double height) { return 360; }

    @Override protected double computePrefHeight(double width) { return 220; }
}
