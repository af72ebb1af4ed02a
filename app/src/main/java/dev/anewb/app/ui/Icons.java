package dev.anewb.app.ui;

import javafx.scene.Group;
import javafx.scene.layout.StackPane;
import javafx.scene.shape.SVGPath;
import javafx.scene.shape.StrokeLineCap;
import javafx.scene.shape.StrokeLineJoin;

/**
 * Line icons drawn as SVG paths on a 24×24 grid (no icon font to ship). The stroke colour comes from CSS
 * ({@code .line-icon}) so icons follow the theme and the selection state.
 */
public final class Icons {
    private Icons() { }

    public static final String LAYERS = "M12 2 L2 7 L12 12 L22 7 Z M2 17 L12 22 L22 17 M2 12 L12 17 L22 12";
    public static final String ACTIVITY = "M22 12 H18 L15 21 L9 3 L6 12 H2";
    public static final String CHIP = "M6 4 H18 A2 2 0 0 1 20 6 V18 A2 2 0 0 1 18 20 H6 A2 2 0 0 1 4 18 V6"
            + " A2 2 0 0 1 6 4 Z"
            + " M9 9 H15 V15 H9 Z M9 1 V4 M15 1 V4 M9 20 V23 M15 20 V23 M20 9 H23 M20 14 H23 M1 9 H4 M1 14 H4";
    public static final String GRID = "M3 3 H10 V10 H3 Z M14 3 H21 V10 H14 Z M14 14 H21 V21 H14 Z M3 14 H10 V21 H3 Z";
    public static final String BARS = "M18 20 V10 M12 20 V4 M6 20 V14 M3 20 H21";
    public static final String PLAY = "M6 3 L20 12 L6 21 Z";
    public static final String UPLOAD = "M21 15 V19 A2 2 0 0 1 19 21 H5 A2 2 0 0 1 3 19 V15 M17 8 L12 3 L7 8 M12 3 V15";
    public static final String MOON = "M21 12.79 A9 9 0 1 1 11.21 3 A7 7 0 0 0 21 12.79 Z";
    /** Scattered points and the front through them (the sweep). */
    public static final String SCATTER = "M3 3 V21 H21 M7 15 A1 1 0 1 1 6.99 15 Z M11 9 A1 1 0 1 1 10.99 9 Z"
            + " M17 6 A1 1 0 1 1 16.99 6 Z M15 14 A1 1 0 1 1 14.99 14 Z M7 15 L11 9 L17 6";
    /** Boxes joined by edges (the graph). */
    public static final String GRAPH = "M9 2 H15 V7 H9 Z M3 16 H9 V21 H3 Z M15 16 H21 V21 H15 Z M12 7 V12 M6 16 V12"
            + " H18 V16";
    public static final String ALERT = "M12 2 A10 10 0 1 1 11.99 2 Z M12 8 V12 M12 16 H12.01";

    /** An icon {@code size} pixels square, whatever the path's own extent, so labels next to icons line up. */
    public static Icon icon(String path, double size) { return new Icon(path, size); }

    /** A fixed-size icon whose path can be swapped (list cells reuse theirs instead of building new nodes). */
    public static final class Icon extends StackPane {
        private final SVGPath svg = new SVGPath();

        Icon(String path, double size) {
            getStyleClass().add("line-icon-box");
            svg.getStyleClass().add("line-icon");
            svg.setStrokeLineCap(StrokeLineCap.ROUND);
            svg.setStrokeLineJoin(StrokeLineJoin.ROUND);
            double scale = size / 24.0;
            svg.setScaleX(scale);
            svg.setScaleY(scale);
            setPath(path);
            // The group takes the scaled size in layout; the pane pins the box to size×size.
            getChildren().add(new Group(svg));
            setMinSize(size, size);
            setPrefSize(size, size);
            setMaxSize(size, size);
        }

        public void setPath(String path) { svg.setContent(path); }
    }
}
