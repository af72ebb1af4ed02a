package dev.anewb.app.ui;

import javafx.scene.canvas.Canvas;
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
