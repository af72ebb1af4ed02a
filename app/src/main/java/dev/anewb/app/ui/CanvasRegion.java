package dev.anewb.app.ui;

import javafx.geometry.VPos;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.text.TextAlignment;
import javafx.scene.layout.Region;

/**
 * A region drawn on one canvas that fills it: the canvas follows the region's size and {@link #draw()} runs again
 * whenever that size changes (the block maps, the histogram, the SRAM timeline).
 */
public abstract class CanvasRegion extends Region {
    protected final Canvas canvas = new Canvas();

    protected CanvasRegion() {
        getChildren().add(canvas);
    }

    /** A y-axis title, written upwards and centred on ({@code x}, {@code centreY}); the context's state is kept. */
    protected static void yTitle(GraphicsContext g, String title, double x, double centreY) {
        g.save();
        g.translate(x, centreY);
        g.rotate(-90);
        g.setTextAlign(TextAlignment.CENTER);
        g.setTextBaseline(VPos.CENTER);
        g.fillText(title, 0, 0);
        g.restore();
    }

    /** Paints the whole canvas at its current size. */
    protected abstract void draw();

    @Override protected void layoutChildren() {
        double w = snapSizeX(getWidth()), h = snapSizeY(getHeight());
        if (canvas.getWidth() != w || canvas.getHeight() != h) {
            canvas.setWidth(w);
            canvas.setHeight(h);
            draw();
        }
    }
}
