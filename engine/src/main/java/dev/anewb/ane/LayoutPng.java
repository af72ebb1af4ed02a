package dev.anewb.ane;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Draws a {@link TensorLayout} as its 64-byte memory lines: one line of cells per 64 bytes, one cell per element,
 * coloured by the head or block that owns it, padding hatched, with a title (name, shape, bytes) and a legend.
 * Headless AWT, so it runs on a server. Shows the first {@link #MAX_LINES} lines; the title says how many exist.
 */
public final class LayoutPng {
    public static final int MAX_LINES = 48;
    static final int CELL = 16, LEFT = 110, TOP = 70, LEGEND_ROW = 22;

    private LayoutPng() { }

    private static final Color[] PALETTE = {
            new Color(0x4E79A7), new Color(0xF28E2B), new Color(0x59A14F), new Color(0xE15759), new Color(0x76B7B2),
            new Color(0xEDC948), new Color(0xB07AA1), new Color(0xFF9DA7), new Color(0x9C755F), new Color(0xBAB0AC),
            new Color(0x2F4B7C), new Color(0xA05195)};

    static Color colour(long group) { return PALETTE[(int) (group % PALETTE.length)]; }

    public static BufferedImage render(TensorLayout t) {
        int perLine = TensorLayout.ROW_ALIGN / t.elementBytes();
        long linesPerRow = t.rowBytesAllocated() / TensorLayout.ROW_ALIGN;
        long totalLines = t.rows() * linesPerRow;
        int lines = (int) Math.min(MAX_LINES, totalLines);
        int width = Math.max(LEFT + perLine * CELL + 20, 760);
        long groups = Math.max(t.rowGroups().groups(t.rows()), t.columnGroups().groups(t.lastAxis()));
        int legendItems = (int) Math.min(12, groups);
        int height = TOP + lines * CELL + 40 + (legendItems + 2) * LEGEND_ROW;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(t.name() + "  " + t.shapeText() + "  " + t.elementBytes() + " B/element", 10, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(t.description(), 10, 40);
        g.drawString(String.format(Locale.ROOT,
                "used %d B, allocated %d B (%.2fx), one line = 64 B = %d elements; showing %d of %d lines",
                t.bytesUsed(), t.bytesAllocated(), t.wasteFactor(), perLine, lines, totalLines), 10, 56);
        long rowUsed = t.rowBytesUsed();
        for (int line = 0; line < lines; line++) {
            long row = line / linesPerRow, lineInRow = line % linesPerRow;
            int y = TOP + line * CELL;
            if (lineInRow == 0) {
                g.setColor(Color.DARK_GRAY);
                g.drawString("row " + row, 10, y + CELL - 3);
            }
            for (int c = 0; c < perLine; c++) {
                long byteInRow = lineInRow * TensorLayout.ROW_ALIGN + (long) c * t.elementBytes();
                int x = LEFT + c * CELL;
                if (byteInRow < rowUsed) {
                    long col = byteInRow / t.elementBytes();
                    long group = !t.rowGroups().none() ? t.rowOwner(row) : t.columnOwner(col);
                    g.setColor(colour(group));
                    g.fillRect(x, y, CELL, CELL);
                } else {
                    hatch(g, x, y);
                }
                g.setColor(Color.WHITE);
                g.drawRect(x, y, CELL, CELL);
            }
        }
        int ly = TOP + lines * CELL + 30;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString("Legend", 10, ly);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        TensorLayout.Grouping grp = !t.rowGroups().none() ? t.rowGroups() : t.columnGroups();
        String label = grp.none() ? "data" : grp.label();
        for (int i = 0; i < legendItems; i++) {
            int y = ly + (i + 1) * LEGEND_ROW - 14;
            g.setColor(colour(i));
            g.fillRect(10, y, CELL, CELL);
            g.setColor(Color.BLACK);
            g.drawString(grp.none() ? "data" : label + " " + i
                    + (i == 11 && groups > 12 ? " (colours repeat, " + groups + " in all)" : ""), 34, y + 12);
        }
        int y = ly + (legendItems + 1) * LEGEND_ROW - 14;
        hatch(g, 10, y);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "padding to the 64-byte row: %d B (%.1f%% of allocated)",
                t.paddingBytes(),
                100.0 * t.paddingBytes() / Math.max(1, t.bytesAllocated())), 34, y + 12);
        g.dispose();
        return img;
    }

    private static void hatch(Graphics2D g, int x, int y) {
        g.setColor(new Color(0xEEEEEE));
        g.fillRect(x, y, CELL, CELL);
        g.setColor(new Color(0x999999));
        g.setStroke(new BasicStroke(1f));
        for (int d = -CELL; d < CELL; d += 5) g.drawLine(x + Math.max(0, d), y + Math.max(0, -d), x
                + Math.min(CELL, CELL + d), y + Math.min(CELL, CELL - d));
    }

    public static void write(TensorLayout t, Path file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (!ImageIO.write(render(t), "png", file.toFile())) throw new IOException("no PNG writer");
    }
}
