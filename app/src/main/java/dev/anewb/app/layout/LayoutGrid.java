package dev.anewb.app.layout;

import dev.anewb.ane.TensorLayout;
import javafx.geometry.VPos;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.TextAlignment;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * A tensor's memory as 64-byte lines ({@link TensorLayout#ROW_ALIGN}), one cell per element, coloured by the head
 * or quantization block that owns it, padding hatched, and a thicker rule where a new tensor row starts. Each
 * frame fills one reused {@link WritableImage} with only the visible window of lines, so a 4096×4096 tensor
 * (half a million lines) pans as fast as a small one. Scroll pans, Ctrl+scroll or +/− zooms, drag pans.
 */
public final class LayoutGrid extends Region {
    static final double GUTTER = 112, TOP = 20;
    public static final int MIN_CELL = 2, MAX_CELL = 48;
    /** Owner colours (the CLI's palette), and the two padding hatch tones. */
    static final int[] PALETTE = {0xFF4E79A7, 0xFFF28E2B, 0xFF59A14F, 0xFFE15759, 0xFF76B7B2, 0xFFEDC948, 0xFFB07AA1,
            0xFFFF9DA7, 0xFF9C755F, 0xFFBAB0AC, 0xFF2F4B7C, 0xFFA05195};
    static final int UNOWNED_ALT = 0xFF5F7FA8;
    static final int UNOWNED = 0xFF8FA8C8, HATCH_DARK = 0xFF9A9A9A, HATCH_LIGHT = 0xFFDADADA;

    private final Canvas canvas = new Canvas();
    private WritableImage image;
    private int[] pixels = new int[0];
    private TensorLayout layout;
    private int cell = 10;
    private double topLine;     // first visible line (fractional while panning)
    private double left;        // horizontal pan in pixels
    private double dragX, dragY, dragTop, dragLeft;
    private Color ink = Color.web("#24292f");
    private BiConsumer<Long, Long> onHover = (r, b) -> { };
    private Runnable onExit = () -> { };
    private long frames;

    public LayoutGrid() {
        getChildren().add(canvas);
        setFocusTraversable(true);
        setMinSize(200, 120);
        canvas.setOnScroll(e -> {
            if (e.isControlDown() || e.isShortcutDown()) zoom(e.getDeltaY() > 0 ? 1 : -1);
            else if (e.isShiftDown()) panBy(-(e.getDeltaX() != 0 ? e.getDeltaX() : e.getDeltaY()), 0);
            else panBy(-e.getDeltaX(), -e.getDeltaY());
            e.consume();
        });
        canvas.setOnMousePressed(e -> {
            requestFocus();
            dragX = e.getX();
            dragY = e.getY();
            dragTop = topLine;
            dragLeft = left;
        });
        canvas.setOnMouseDragged(e -> {
            topLine = dragTop - (e.getY() - dragY) / cell;
            left = dragLeft - (e.getX() - dragX);
            clampAndDraw();
        });
        canvas.setOnMouseMoved(e -> {
            long[] rb = rowAndByteAt(e.getX(), e.getY());
            if (rb == null) onExit.run();
            else onHover.accept(rb[0], rb[1]);
        });
        canvas.setOnMouseExited(e -> onExit.run());
        setOnKeyPressed(e -> {
            KeyCode k = e.getCode();
            if (k == KeyCode.PLUS || k == KeyCode.EQUALS || k == KeyCode.ADD) zoom(1);
            else if (k == KeyCode.MINUS || k == KeyCode.SUBTRACT) zoom(-1);
            else if (k == KeyCode.DOWN) panBy(0, cell);
            else if (k == KeyCode.UP) panBy(0, -cell);
            else if (k == KeyCode.RIGHT) panBy(cell, 0);
            else if (k == KeyCode.LEFT) panBy(-cell, 0);
            else if (k == KeyCode.PAGE_DOWN) panBy(0, canvas.getHeight() * 0.9);
            else if (k == KeyCode.PAGE_UP) panBy(0, -canvas.getHeight() * 0.9);
            else if (k == KeyCode.HOME) { topLine = 0; left = 0; clampAndDraw(); }
            else if (k == KeyCode.END) { topLine = lines(); clampAndDraw(); }
            else return;
            e.consume();
        });
    }

    public void setLayout(TensorLayout t) {
        boolean same = layout != null && t != null && layout.name().equals(t.name())
                && Arrays.equals(layout.shape(), t.shape());
        layout = t;
        if (!same) { topLine = 0; left = 0; }
        clampAndDraw();
    }

    public void setInk(Color c) { ink = c; draw(); }

    public void setOnHover(BiConsumer<Long, Long> h) { onHover = h; }

    public void setOnExit(Runnable r) { onExit = r; }

    /** One zoom step in or out (cell size in pixels, {@value #MIN_CELL}…{@value #MAX_CELL}). */
    public void zoom(int steps) {
        double centre = topLine + canvas.getHeight() / 2 / cell;
        int next = cell;
        for (int i = 0; i < Math.abs(steps); i++) {
            next = steps > 0 ? Math.min(MAX_CELL, next + Math.max(1, next / 4))
                    : Math.max(MIN_CELL, next - Math.max(1, next / 5));
        }
        cell = next;
        topLine = centre - canvas.getHeight() / 2 / cell;
        clampAndDraw();
    }

    public void panBy(double dxPixels, double dyPixels) {
        left += dxPixels;
        topLine += dyPixels / cell;
        clampAndDraw();
    }

    /** Scrolls so that {@code line} is the first visible line (tests, "go to"). */
    public void scrollToLine(double line) {
        topLine = line;
        clampAndDraw();
    }

    /** How many frames were drawn (tests check panning draws, not rebuilds). */
    public long frames() { return frames; }

    public Canvas canvas() { return canvas; }

    long lines() {
        return layout == null ? 0 : layout.rows() * (layout.rowBytesAllocated() / TensorLayout.ROW_ALIGN);
    }

    int cellsPerLine() { return layout == null ? 0 : TensorLayout.ROW_ALIGN / layout.elementBytes(); }

    /** {row, byteInRow} under canvas point (x, y), or null outside the cells. */
    public long[] rowAndByteAt(double x, double y) {
        if (layout == null || x < GUTTER || y < TOP) return null;
        long c = (long) Math.floor((x - GUTTER + left) / cell);
        double l = topLine + (y - TOP) / cell;
        if (c < 0 || c >= cellsPerLine() || l < 0 || l >= lines()) return null;
        long line = (long) Math.floor(l);
        long perRow = layout.rowBytesAllocated() / TensorLayout.ROW_ALIGN;
        return new long[]{line / perRow, (line % perRow) * TensorLayout.ROW_ALIGN + c * layout.elementBytes()};
    }

    /**
     * Canvas point at the centre of the cell holding byte {@code byteInRow} of {@code row}, if it is scrolled into
     * view.
     */
    public double[] pointOf(long row, long byteInRow) {
        long perRow = layout.rowBytesAllocated() / TensorLayout.ROW_ALIGN;
        long line = row * perRow + byteInRow / TensorLayout.ROW_ALIGN;
        long c = (byteInRow % TensorLayout.ROW_ALIGN) / layout.elementBytes();
        return new double[]{GUTTER - left + (c + 0.5) * cell, TOP + (line - topLine + 0.5) * cell};
    }

    private void clampAndDraw() {
        double visible = Math.max(1, (canvas.getHeight() - TOP) / cell);
        topLine = Math.max(0, Math.min(topLine, Math.max(0, lines() - visible + 1)));
        double width = (double) cellsPerLine() * cell;
        left = Math.max(0, Math.min(left, Math.max(0, width - (canvas.getWidth() - GUTTER) + 8)));
        draw();
    }

    @Override protected void layoutChildren() {
        double w = Math.floor(getWidth()), h = Math.floor(getHeight());
        if (canvas.getWidth() != w || canvas.getHeight() != h) {
            canvas.setWidth(w);
            canvas.setHeight(h);
            clampAndDraw();
        }
    }

    void draw() {
        GraphicsContext g = canvas.getGraphicsContext2D();
        int w = (int) canvas.getWidth(), h = (int) canvas.getHeight();
        g.clearRect(0, 0, w, h);
        if (layout == null || w <= GUTTER || h <= TOP) return;
        frames++;
        int pw = w - (int) GUTTER, ph = h - (int) TOP;
        if (image == null || (int) image.getWidth() != pw || (int) image.getHeight() != ph) {
            image = new WritableImage(pw, ph);
            pixels = new int[pw * ph];
        }
        Arrays.fill(pixels, 0);
        long perRow = layout.rowBytesAllocated() / TensorLayout.ROW_ALIGN;
        int perLine = cellsPerLine();
        long usedCols = layout.lastAxis();
        long total = lines();
        long first = (long) Math.floor(topLine);
        double offset = (topLine - first) * cell;
        int gap = cell >= 6 ? 1 : 0;
        for (long line = first; line < total; line++) {
            int y0 = (int) Math.round((line - first) * cell - offset);
            if (y0 >= ph) break;
            long row = line / perRow;
            long colBase = (line % perRow) * perLine;
            boolean rowStart = line % perRow == 0 && perRow > 1 && cell >= 4;
            for (int c = 0; c < perLine; c++) {
                int x0 = (int) Math.round(c * cell - left);
                if (x0 >= pw) break;
                if (x0 + cell <= 0) continue;
                long col = colBase + c;
                boolean pad = col >= usedCols;
                int colour = pad ? -1 : colourOf(row, col);
                fill(x0, y0, cell - gap, cell - gap, colour, pw, ph, rowStart);
            }
        }
        image.getPixelWriter().setPixels(0, 0, pw, ph, PixelFormat.getIntArgbPreInstance(), pixels, 0, pw);
        g.drawImage(image, GUTTER, TOP);
        // 64-byte line addresses in the gutter
        g.setFont(Font.font("monospace", 11));
        g.setFill(ink);
        g.setTextAlign(TextAlignment.RIGHT);
        g.setTextBaseline(VPos.CENTER);
        int every = Math.max(1, (int) Math.ceil(15.0 / cell));
        for (long line = first; line < total; line++) {
            double y = (line - first) * cell - offset + cell / 2.0 + TOP;
            if (y > h) break;
            if (line % every != 0 || y < TOP + 4) continue;
            long row = line / perRow;
            g.fillText(String.format(Locale.ROOT, "r%d  0x%X", row, line * TensorLayout.ROW_ALIGN), GUTTER - 6, y);
        }
        g.setTextAlign(TextAlignment.LEFT);
        g.setTextBaseline(VPos.BOTTOM);
        g.fillText("row · address", 4, TOP - 4);
        g.fillText(String.format(Locale.ROOT, "64 B per line = %d × %d B →", perLine, layout.elementBytes()),
                GUTTER + 4, TOP - 4);
    }

    private int colourOf(long row, long col) {
        long group;
        if (!layout.rowGroups().none()) group = layout.rowOwner(row);
        else if (!layout.columnGroups().none()) group = layout.columnOwner(col);
        // no head or block owns it: tensor rows alternate two tones, so where each row starts and ends shows
        else return layout.lastAxis() > 0 && row % 2 == 1 ? UNOWNED_ALT : UNOWNED;
        return PALETTE[(int) (group % PALETTE.length)];
    }

    /** Fills one cell of the frame; colour -1 hatches it as padding; a row start gets a dark top edge. */
    private void fill(int x0, int y0, int cw, int ch, int colour, int pw, int ph, boolean rowStart) {
        int xa = Math.max(0, x0), xb = Math.min(pw, x0 + Math.max(1, cw));
        int ya = Math.max(0, y0), yb = Math.min(ph, y0 + Math.max(1, ch));
        for (int y = ya; y < yb; y++) {
            int base = y * pw;
            boolean edge = rowStart && y - y0 < 2;
            for (int x = xa; x < xb; x++) {
                int c = colour == -1 ? (((x + y) % 6) < 2 ? HATCH_DARK : HATCH_LIGHT) : colour;
                pixels[base + x] = edge ? 0xFF202020 : c;
            }
        }
    }

    /** Owner colour of group {@code g} for the legend. */
    public static Color legendColour(long g) {
        int argb = PALETTE[(int) (g % PALETTE.length)];
        return Color.rgb((argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF);
    }

    @Override protected double computePrefWidth(double height) { return 700; }

    @Override protected double computePrefHeight(double width) { return 500; }
}
